"""Pages of grading schemes: the product list, a product's scheme (read-only or editable),
the row formset, bulk regrade; scope and roles. Helpers: report_fixtures.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.production.services import grading
from dibiao.production.tests.report_fixtures import (
    criterion,
    grade,
    grade_name,
    grape_scheme,
    lab_of,
    nutrition,
    record,
    sample_in,
)

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


def _rows_post(rows: list[tuple]) -> dict[str, str]:
    keys = ("grade_name", "rank", "item_name", "unit", "min_value", "max_value")
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in zip(keys, row, strict=True):
            data[f"rows-{i}-{key}"] = value
    return data


def test_the_product_list_shows_the_users_products_and_their_grade_counts(
    tree, province_admin, county_admin, sample
):
    grape_scheme(province_admin, sample.product)
    elsewhere = sample_in(tree["c2a"])

    html = _html(client_as(county_admin).get(reverse("production:grade-product-list")))

    assert sample.product.name in html
    assert elsewhere.product.name not in html
    assert "<td>3</td>" in html


def test_a_lab_and_a_producer_read_the_scheme_without_edit_links(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    url = reverse("production:grade-scheme", args=[sample.product.pk])

    for user in (lab_user, sample.producer_login):
        html = _html(client_as(user).get(url))
        assert "可溶性固形物" in html
        assert "≥ 18" in html
        assert "≤ 0.6" in html
        assert reverse("production:grade-scheme-edit", args=[sample.product.pk]) not in html
    assert sample.product.name in _html(
        client_as(lab_user).get(reverse("production:grade-product-list"))
    )


def test_the_products_county_edits_the_scheme_with_rows(county_admin, sample):
    url = reverse("production:grade-scheme-edit", args=[sample.product.pk])
    client = client_as(county_admin)
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        _rows_post(
            [
                ("特级", "1", "可溶性固形物", "%", "18", ""),
                ("特级", "1", "总酸", "%", "", "0.6"),
                ("一级", "2", "可溶性固形物", "%", "16", ""),
                ("", "", "", "", "", ""),
            ]
        ),
    )

    assert response.status_code == 302
    scheme = grading.scheme_of(sample.product)
    assert [(g.name, g.rank, g.criteria.count()) for g in scheme] == [
        ("特级", 1, 2),
        ("一级", 2, 1),
    ]
    assert AuditLog.objects.filter(
        action=AuditAction.UPDATE, object_type="registry.giproduct"
    ).exists()


def test_the_edit_page_starts_from_the_current_scheme(province_admin, sample):
    grape_scheme(province_admin, sample.product)
    html = _html(
        client_as(province_admin).get(
            reverse("production:grade-scheme-edit", args=[sample.product.pk])
        )
    )
    assert 'value="特级"' in html
    assert 'value="总酸"' in html


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("特级", "1", "糖度", "", "", "")], "下限和上限至少填写一项。"),
        ([("特级", "1", "糖度", "", "20", "18")], "上限不能小于下限。"),
        ([("特级", "1", "糖度", "", "18", ""), ("特级", "2", "酸", "", "", "1")], "各行排序不一致"),
        (
            [("特级", "1", "糖度", "", "18", ""), ("一级", "1", "糖度", "", "16", "")],
            "排序不能重复",
        ),
        ([("特级", "", "糖度", "", "18", "")], "请填写排序"),
    ],
    ids=["no-bound", "reversed", "rank-differs", "same-rank", "no-rank"],
)
def test_a_bad_scheme_is_shown_with_its_message(province_admin, sample, rows, message):
    url = reverse("production:grade-scheme-edit", args=[sample.product.pk])
    response = client_as(province_admin).post(url, _rows_post(rows))
    assert response.status_code == 200
    assert message in _html(response)
    assert not sample.product.grades.exists()


def test_removing_a_grade_in_use_is_explained(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))

    response = client_as(province_admin).post(
        reverse("production:grade-scheme-edit", args=[sample.product.pk]),
        _rows_post([("特级", "1", "可溶性固形物", "%", "18", "")]),
    )

    assert response.status_code == 200
    assert "已评定给检测报告，不能删除" in _html(response)


def test_who_may_edit(city_admin, other_county_admin, lab_user, sample):
    edit = reverse("production:grade-scheme-edit", args=[sample.product.pk])
    read = reverse("production:grade-scheme", args=[sample.product.pk])
    assert client_as(city_admin).get(read).status_code == 200
    assert client_as(city_admin).get(edit).status_code == 403
    assert client_as(lab_user).get(edit).status_code == 403
    assert client_as(sample.producer_login).post(edit, _rows_post([])).status_code == 403
    for url in (read, edit):
        assert client_as(other_county_admin).get(url).status_code == 404
    regrade = reverse("production:grade-regrade", args=[sample.product.pk])
    assert client_as(other_county_admin).post(regrade).status_code == 404


def test_bulk_regrade_from_the_scheme_page(province_admin, county_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))
    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            grade("特级", 1, criterion("可溶性固形物", min_value="16")),
            grade("一级", 2, criterion("可溶性固形物", min_value="14")),
        ],
    )
    url = reverse("production:grade-scheme", args=[sample.product.pk])
    assert "按现行方案重新评定全部报告" in _html(client_as(county_admin).get(url))

    response = client_as(county_admin).post(
        reverse("production:grade-regrade", args=[sample.product.pk]), follow=True
    )

    assert "已按现行方案重新评定 1 份检测报告，其中 1 份等级有变化。" in _html(response)
    report.refresh_from_db()
    assert grade_name(report) == "特级"
    assert (
        client_as(lab_user)
        .post(reverse("production:grade-regrade", args=[sample.product.pk]))
        .status_code
        == 403
    )


def test_an_empty_scheme_invites_the_editor(county_admin, sample):
    html = _html(
        client_as(county_admin).get(reverse("production:grade-scheme", args=[sample.product.pk]))
    )
    assert "还没有设置分等分级方案" in html
    assert "设置方案" in html
