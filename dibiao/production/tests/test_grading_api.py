"""API v1 of grading schemes: read, replace (validation, rights, scope), the 409 for a grade
in use, bulk regrade. Helpers: report_fixtures.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dibiao.production.tests.report_fixtures import (
    criterion,
    grade,
    grape_scheme,
    lab_of,
    nutrition,
    record,
    sample_in,
)

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def lab(lab_user):
    return lab_of(lab_user)


def test_the_scheme_is_read_by_those_who_see_the_product(
    province_admin, lab_user, county_admin, sample
):
    grape_scheme(province_admin, sample.product)
    url = f"/api/v1/grading-schemes/{sample.product.pk}/"

    by_lab = api_as(lab_user).get(url)
    by_county = api_as(county_admin).get(url)

    assert by_lab.status_code == 200
    assert by_lab.json()["can_edit"] is False
    assert by_county.json()["can_edit"] is True
    grades = by_lab.json()["grades"]
    assert [g["name"] for g in grades] == ["特级", "一级", "二级"]
    assert grades[0]["criteria"][0] == {
        "item_name": "可溶性固形物",
        "unit": "%",
        "min_value": "18.0000",
        "max_value": None,
    }


def test_the_scheme_is_replaced_by_the_county_and_validated(county_admin, sample):
    url = f"/api/v1/grading-schemes/{sample.product.pk}/"
    client = api_as(county_admin)

    no_bound = client.put(url, {"grades": [grade("特级", 1, criterion("糖"))]}, format="json")
    reversed_bounds = client.put(
        url,
        {"grades": [grade("特级", 1, criterion("糖", min_value="9", max_value="1"))]},
        format="json",
    )
    same_rank = client.put(
        url,
        {
            "grades": [
                grade("特级", 1, criterion("糖", min_value="9")),
                grade("一级", 1, criterion("糖", min_value="5")),
            ]
        },
        format="json",
    )
    same_name = client.put(
        url,
        {
            "grades": [
                grade("特级", 1, criterion("糖", min_value="9")),
                grade("特级", 2, criterion("糖", min_value="5")),
            ]
        },
        format="json",
    )
    ok = client.put(
        url, {"grades": [grade("特级", 1, criterion("糖", min_value="9"))]}, format="json"
    )

    assert [r.json()["code"] for r in (no_bound, reversed_bounds, same_rank, same_name)] == [
        "criterion_without_bound",
        "criterion_bounds_reversed",
        "duplicate_grade_rank",
        "duplicate_grade_name",
    ]
    assert ok.status_code == 200
    assert [g["name"] for g in ok.json()["grades"]] == ["特级"]


def test_removing_a_grade_in_use_is_a_409(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    response = api_as(province_admin).put(
        f"/api/v1/grading-schemes/{sample.product.pk}/", {"grades": []}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "grade_in_use"


def test_scheme_writes_need_the_right_and_the_scope(
    city_admin, other_county_admin, lab_user, sample
):
    url = f"/api/v1/grading-schemes/{sample.product.pk}/"
    body = {"grades": [grade("特级", 1, criterion("糖", min_value="9"))]}
    assert api_as(city_admin).put(url, body, format="json").status_code == 403
    assert api_as(lab_user).put(url, body, format="json").status_code == 403
    assert api_as(other_county_admin).get(url).status_code == 404
    assert api_as(other_county_admin).put(url, body, format="json").status_code == 404
    assert api_as(other_county_admin).post(url + "regrade/").status_code == 404
    assert not sample.product.grades.exists()


def test_bulk_regrade_through_the_api(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    response = api_as(province_admin).post(f"/api/v1/grading-schemes/{sample.product.pk}/regrade/")
    assert response.status_code == 200
    assert response.json() == {"checked": 1, "changed": 0}
