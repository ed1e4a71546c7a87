"""API v1 of the directory: masked lists and details, field-level errors, duplicates, scope
404s, the audited personal-data endpoint, the producer's contact-only PATCH."""

from __future__ import annotations

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.producers.models import Producer
from dibiao.producers.tests.directory_fixtures import api_as, assert_no_personal_data
from dibiao.testing.factories import (
    VALID_CREDIT_CODE,
    VALID_ID_NUMBER,
    ProductFactory,
    producer,
    producer_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db
SEEDED_PHONE = "13712345678"
LIST = "/api/v1/producers/"


@pytest.fixture
def household(tree):
    return producer(
        tree["c1a"],
        name="种养大户甲",
        kind="large_household",
        id_number_value=VALID_ID_NUMBER,
        phone=SEEDED_PHONE,
    )


def _body(tree, **values):
    body = {
        "name": "新登记合作社",
        "kind": "cooperative",
        "credit_code": VALID_CREDIT_CODE,
        "phone": "13600000000",
        "division": tree["c1a"].code,
    }
    body.update(values)
    return body


def test_list_and_detail_are_masked(tree, county_admin, city_admin, household):
    for user in (county_admin, city_admin):
        listed = api_as(user).get(LIST)
        detail = api_as(user).get(f"{LIST}{household.pk}/")
        assert listed.status_code == detail.status_code == 200
        assert listed.json()["count"] == 1
        assert detail.json()["id_number"] == "110105********002X"
        assert detail.json()["phone"] == "137****5678"
        for response in (listed, detail):
            assert_no_personal_data(response.content.decode(), SEEDED_PHONE, VALID_ID_NUMBER)


def test_list_filters_and_searches_by_full_id_number(tree, county_admin, household):
    producer(tree["c1a"], name="合作社乙")
    client = api_as(county_admin)
    assert [r["name"] for r in client.get(LIST, {"q": VALID_ID_NUMBER}).json()["results"]] == [
        "种养大户甲"
    ]
    assert client.get(LIST, {"kind": "cooperative"}).json()["count"] == 1
    assert client.get(LIST, {"label_user": "true"}).json()["count"] == 0
    assert client.get(LIST, {"product": "x"}).status_code == 400


def test_create_returns_201_with_masked_phone(tree, county_admin):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    response = api_as(county_admin).post(LIST, _body(tree, products=[product.pk]), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "136****0000"
    assert body["products"] == [{"id": product.pk, "name": product.name}]
    assert body["is_label_user"] is False


def test_bad_credit_code_is_a_field_error(tree, county_admin):
    bad = VALID_CREDIT_CODE[:-1] + "0"
    response = api_as(county_admin).post(LIST, _body(tree, credit_code=bad), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "校验位不正确" in body["errors"]["credit_code"][0]
    assert not Producer.objects.exists()


def test_bad_id_number_is_a_field_error(tree, county_admin):
    response = api_as(county_admin).post(
        LIST,
        _body(tree, kind="individual", credit_code="", id_number="11010519491231002"),
        format="json",
    )
    assert response.status_code == 400
    assert "18 位" in response.json()["errors"]["id_number"][0]


def test_missing_identifier_is_a_field_error(tree, county_admin):
    response = api_as(county_admin).post(
        LIST, _body(tree, kind="enterprise", credit_code=""), format="json"
    )
    assert response.json()["errors"]["credit_code"] == ["企业须填写统一社会信用代码。"]


def test_duplicate_credit_code_is_409(tree, county_admin):
    producer(tree["c1a"], credit_code_value=VALID_CREDIT_CODE)
    response = api_as(county_admin).post(LIST, _body(tree), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_credit_code"


def test_another_countys_division_is_refused(tree, county_admin):
    response = api_as(county_admin).post(
        LIST, _body(tree, division=tree["c2a"].code), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "division_out_of_scope")


def test_an_invisible_product_id_reads_as_missing(tree, county_admin):
    elsewhere = ProductFactory.create(divisions=[tree["c2a"]])
    response = api_as(county_admin).post(LIST, _body(tree, products=[elsewhere.pk]), format="json")
    assert response.status_code == 400
    assert "products" in response.json()["errors"]


def test_create_is_forbidden_to_a_producer(tree):
    user, _ = producer_user(tree["c1a"])
    response = api_as(user).post(LIST, _body(tree), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_create_is_idempotent(tree, county_admin):
    client = api_as(county_admin)
    first = client.post(LIST, _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(LIST, _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Producer.objects.count() == 1


def test_patch_changes_fields_and_keeps_the_numbers(tree, county_admin, household):
    response = api_as(county_admin).patch(
        f"{LIST}{household.pk}/", {"name": "改名大户"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "改名大户"
    assert response.json()["phone"] == "137****5678"
    assert response.json()["id_number"] == "110105********002X"


def test_producer_patches_its_contact_but_not_its_name(tree):
    user, entry = producer_user(tree["c1a"])
    client = api_as(user)
    url = f"{LIST}{entry.pk}/"
    ok = client.patch(url, {"contact_name": "新联系人", "phone": "0351-7654321"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["contact_name"] == "新联系人"
    refused = client.patch(url, {"name": "改名"}, format="json")
    assert refused.status_code == 403


def test_status_change_and_rejected_transition(tree, county_admin, household):
    client = api_as(county_admin)
    url = f"{LIST}{household.pk}/status/"
    assert client.post(url, {"status": "suspended"}, format="json").json()["code"] == (
        "reason_required"
    )
    done = client.post(url, {"status": "closed", "reason": "注销"}, format="json")
    assert done.json()["status"] == "closed"
    again = client.post(url, {"status": "active"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_personal_data_is_revealed_to_the_county_and_audited(tree, county_admin, household):
    response = api_as(county_admin).get(f"{LIST}{household.pk}/personal-data/")
    assert response.status_code == 200
    assert response.json() == {"phone": SEEDED_PHONE, "id_number": VALID_ID_NUMBER}
    assert response["Cache-Control"] == "no-store"
    assert AuditLog.objects.filter(
        action=AuditAction.VIEW_SENSITIVE, object_id=str(household.pk), user_id=county_admin.pk
    ).exists()


def test_personal_data_is_revealed_to_the_producer_itself(tree):
    user, entry = producer_user(tree["c1a"], phone=SEEDED_PHONE)
    response = api_as(user).get(f"{LIST}{entry.pk}/personal-data/")
    assert response.json()["phone"] == SEEDED_PHONE


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.COUNTY_GOV])
def test_personal_data_is_403_for_other_roles_in_scope(tree, household, role):
    actor = user_with_role(role, tree["c1"] if role == Role.CITY_ADMIN else tree["c1a"])
    response = api_as(actor).get(f"{LIST}{household.pk}/personal-data/")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not AuditLog.objects.filter(action=AuditAction.VIEW_SENSITIVE).exists()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"name": "x"}),
        ("post", "status/", {"status": "closed", "reason": "x"}),
        ("get", "personal-data/", None),
    ],
)
def test_another_countys_user_gets_404(tree, other_county_admin, household, method, suffix, body):
    client = api_as(other_county_admin)
    response = getattr(client, method)(f"{LIST}{household.pk}/{suffix}", body, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_producer_gets_404_for_another_entry(tree, household):
    user, _ = producer_user(tree["c1a"])
    assert api_as(user).get(f"{LIST}{household.pk}/").status_code == 404
    assert api_as(user).get(LIST).json()["count"] == 1


def test_anonymous_is_refused(household):
    assert api_as().get(LIST).status_code == 401
