"""API v1 of label-use authorization: scoped list and detail, apply, the reviews and the
supervision actions with their coded errors, idempotency, and the public list."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from dibiao.accounts.models import User
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.services import authorizations as services
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    YEAR,
    applicant,
    applicant_pair,
    applicant_user,
    application_data,
    apply,
    approved,
    approved_for,
    clock,
    holder_org,
    holder_user,
    pending_county,
    pending_holder,
    product,
)
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import ProductFactory, producer, producer_user

pytestmark = pytest.mark.django_db
BASE = "/api/v1/label-authorizations/"


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _body(entry, product, **overrides):
    body = {**application_data(), "producer": entry.pk, "product": product.pk}
    body.update(overrides)
    return body


# --- List and detail -------------------------------------------------------------------------


def test_county_admin_lists_and_reads_its_countys(county_admin, approved):
    client = api_as(county_admin)
    listing = client.get(BASE)
    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    row = listing.json()["results"][0]
    assert row["number"] == approved.number
    assert row["valid_today"] is True
    assert row["actions"] == ["revoke", "suspend"]
    detail = client.get(f"{BASE}{approved.pk}/").json()
    assert detail["producer"] == {"id": approved.producer_id, "name": "清徐县葡萄专业合作社"}
    assert (detail["valid_from"], detail["valid_until"]) == (f"{YEAR}-06-01", f"{YEAR}-12-31")


def test_other_county_lists_nothing_and_gets_404(other_county_admin, approved):
    client = api_as(other_county_admin)
    assert client.get(BASE).json()["count"] == 0
    response = client.get(f"{BASE}{approved.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_producer_sees_its_own_and_the_holder_its_products(
    tree, approved, applicant_user, holder_user, product, county_admin
):
    other = approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    own = api_as(applicant_user).get(BASE).json()
    assert [r["id"] for r in own["results"]] == [approved.pk]
    assert api_as(applicant_user).get(f"{BASE}{other.pk}/").status_code == 404
    held = api_as(holder_user).get(BASE).json()
    assert {r["id"] for r in held["results"]} == {approved.pk, other.pk}


def test_list_filters_and_refuses_bad_parameters(county_admin, approved, pending_county, tree):
    client = api_as(county_admin)
    assert client.get(BASE, {"status": "approved"}).json()["count"] == 1
    assert client.get(BASE, {"valid": "true"}).json()["count"] == 1
    assert client.get(BASE, {"year": YEAR + 1}).json()["count"] == 0
    assert client.get(BASE, {"q": "AGI00001"}).json()["count"] == 1
    bad = client.get(BASE, {"product": "abc"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")
    assert client.get(BASE, {"status": "expired"}).status_code == 400


def test_list_queries_do_not_grow_with_the_rows(tree, holder_user, product, county_admin):
    def count_queries() -> int:
        caller = User.objects.get(pk=holder_user.pk)  # no per-object caches from before
        with CaptureQueriesContext(connection) as queries:
            response = api_as(caller).get(BASE)
        assert response.status_code == 200
        return len(queries)

    approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    few = count_queries()
    for _ in range(6):
        approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    assert count_queries() == few


def test_anonymous_is_401():
    response = APIClient().get(BASE)
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


# --- Apply -----------------------------------------------------------------------------------


def test_producer_applies(applicant_user, applicant, product):
    response = api_as(applicant_user).post(BASE, _body(applicant, product), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["number"], data["actions"]) == ("pending_holder", "", ["withdraw"])


def test_unticked_commitment_is_400_commitment_required(applicant_user, applicant, product):
    body = _body(applicant, product)
    del body["commitment"]
    response = api_as(applicant_user).post(BASE, body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "commitment_required")
    assert not LabelAuthorization.objects.exists()


def test_inactive_producer_is_409(applicant_user, applicant, product):
    applicant.status = "suspended"
    applicant.save()
    response = api_as(applicant_user).post(BASE, _body(applicant, product), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "producer_inactive")


def test_product_not_produced_is_400(tree, applicant_user, applicant):
    other = ProductFactory.create(divisions=[tree["c1b"]])
    response = api_as(applicant_user).post(BASE, _body(applicant, other), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "product_not_produced")


def test_producer_of_another_county_is_an_invalid_id(other_county_admin, applicant, product):
    response = api_as(other_county_admin).post(BASE, _body(applicant, product), format="json")
    assert response.status_code == 400
    assert "producer" in response.json()["errors"]
    assert not LabelAuthorization.objects.exists()


def test_duplicate_application_is_409(pending_holder, applicant_user, applicant, product):
    response = api_as(applicant_user).post(BASE, _body(applicant, product), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "authorization_exists")


@pytest.mark.parametrize(
    "overrides",
    [
        {"requested_quantity": 0},
        {"requested_quantity": services.MAX_LABELS + 1},
        {"requested_quantity": "many"},
        {"year": "next"},
        {"scope": "箱" * 201},
        {"qualifications": ""},
        {"product": 999999},
    ],
)
def test_bad_input_is_400_and_writes_nothing(applicant_user, applicant, product, overrides):
    body = _body(applicant, product)
    body.update(overrides)
    response = api_as(applicant_user).post(BASE, body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not LabelAuthorization.objects.exists()


def test_year_outside_current_and_next_is_400_invalid_year(applicant_user, applicant, product):
    response = api_as(applicant_user).post(
        BASE, _body(applicant, product, year=YEAR + 2), format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_year")


def test_repeated_idempotency_key_applies_once(applicant_user, applicant, product):
    client = api_as(applicant_user)
    first = client.post(
        BASE, _body(applicant, product), format="json", HTTP_IDEMPOTENCY_KEY="apply-1"
    )
    again = client.post(
        BASE, _body(applicant, product), format="json", HTTP_IDEMPOTENCY_KEY="apply-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert LabelAuthorization.objects.count() == 1


def test_county_admin_applies_on_behalf(tree, county_admin, applicant, product):
    response = api_as(county_admin).post(BASE, _body(applicant, product), format="json")
    assert response.status_code == 201
    assert response.json()["applied_by"]["id"] == county_admin.pk


# --- Reviews and supervision -----------------------------------------------------------------


def test_the_whole_workflow_through_the_api(
    pending_holder, holder_user, county_admin, province_admin
):
    pk = pending_holder.pk
    holder = api_as(holder_user).post(
        f"{BASE}{pk}/holder-review/", {"approve": True}, format="json"
    )
    assert (holder.status_code, holder.json()["status"]) == (200, "pending_county")
    county = api_as(county_admin).post(
        f"{BASE}{pk}/county-review/",
        {"approve": True, "authorized_quantity": 45000, "scope": "2.5 kg 礼盒"},
        format="json",
    )
    assert county.status_code == 200
    data = county.json()
    assert (data["status"], data["number"], data["authorized_quantity"], data["scope"]) == (
        "approved",
        f"AGI00001-{YEAR}-0001",
        45000,
        "2.5 kg 礼盒",
    )
    province = api_as(province_admin)
    suspended = province.post(f"{BASE}{pk}/suspend/", {"reason": "督查抽检"}, format="json")
    assert (suspended.json()["status"], suspended.json()["valid_today"]) == ("suspended", False)
    resumed = province.post(f"{BASE}{pk}/resume/", {}, format="json")
    assert resumed.json()["status"] == "approved"
    revoked = province.post(f"{BASE}{pk}/revoke/", {"reason": "冒用"}, format="json")
    assert (revoked.json()["status"], revoked.json()["status_reason"]) == ("revoked", "冒用")


def test_holder_rejection_without_reason_is_400(pending_holder, holder_user):
    response = api_as(holder_user).post(
        f"{BASE}{pending_holder.pk}/holder-review/", {"approve": False}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")


def test_review_needs_a_decision(pending_holder, holder_user):
    response = api_as(holder_user).post(
        f"{BASE}{pending_holder.pk}/holder-review/", {}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_wrong_actor_is_403(pending_holder, county_admin):
    response = api_as(county_admin).post(
        f"{BASE}{pending_holder.pk}/holder-review/", {"approve": True}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_wrong_state_is_409(pending_holder, county_admin):
    response = api_as(county_admin).post(
        f"{BASE}{pending_holder.pk}/county-review/", {"approve": True}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (
        409,
        "authorization_invalid_transition",
    )


def test_suspension_without_reason_is_400(approved, county_admin):
    response = api_as(county_admin).post(f"{BASE}{approved.pk}/suspend/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")


def test_revoke_without_reason_is_400(approved, county_admin):
    response = api_as(county_admin).post(
        f"{BASE}{approved.pk}/revoke/", {"reason": ""}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")


def test_applicant_withdraws(pending_county, applicant_user):
    response = api_as(applicant_user).post(
        f"{BASE}{pending_county.pk}/withdraw/", {"reason": "计划调整"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")


def test_withdrawing_an_agreement_is_409(approved, applicant_user):
    response = api_as(applicant_user).post(f"{BASE}{approved.pk}/withdraw/", {}, format="json")
    assert response.status_code == 409


def test_applicant_cannot_suspend_its_agreement(approved, applicant_user):
    response = api_as(applicant_user).post(
        f"{BASE}{approved.pk}/suspend/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("holder-review", {"approve": True}),
        ("county-review", {"approve": True}),
        ("suspend", {"reason": "x"}),
        ("resume", {}),
        ("revoke", {"reason": "x"}),
        ("withdraw", {}),
    ],
)
def test_other_county_gets_404_on_every_action(other_county_admin, approved, action, body):
    response = api_as(other_county_admin).post(
        f"{BASE}{approved.pk}/{action}/", body, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    approved.refresh_from_db()
    assert approved.status == "approved"


def test_another_producer_gets_404(tree, pending_holder, product):
    stranger, _ = producer_user(tree["c1a"], products=[product])
    client = api_as(stranger)
    assert client.get(f"{BASE}{pending_holder.pk}/").status_code == 404
    assert client.post(f"{BASE}{pending_holder.pk}/withdraw/", {}, format="json").status_code == 404


# --- Public ----------------------------------------------------------------------------------


def _public(product_id: int):
    return APIClient().get(f"/api/v1/public/products/{product_id}/authorized-users/")


def test_public_api_lists_only_valid_agreements_without_personal_data(
    tree, approved, pending_county, product, county_admin
):
    revoked = approved_for(producer(tree["c1a"], products=[product]), product, county_admin)
    services.authorization_revoke(actor=county_admin, authorization=revoked, reason="冒用")
    response = _public(product.pk)
    assert response.status_code == 200
    assert response.json()["count"] == 1
    [row] = response.json()["results"]
    assert row == {
        "producer_name": "清徐县葡萄专业合作社",
        "county": f"{tree['c1'].name}{tree['c1a'].name}",
        "number": approved.number,
        "valid_from": f"{YEAR}-06-01",
        "valid_until": f"{YEAR}-12-31",
        "scope": "5 kg 礼盒装",
    }


def test_public_api_ignores_credentials_and_404s_a_cancelled_product(approved, product):
    product.status = ProductStatus.CANCELLED
    product.save()
    response = _public(product.pk)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert _public(999999).status_code == 404


def test_schema_documents_the_endpoints(county_admin, capsys):
    response = api_as(county_admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/label-authorizations/",
        "/api/v1/label-authorizations/{id}/",
        "/api/v1/label-authorizations/{id}/holder-review/",
        "/api/v1/label-authorizations/{id}/county-review/",
        "/api/v1/label-authorizations/{id}/suspend/",
        "/api/v1/label-authorizations/{id}/resume/",
        "/api/v1/label-authorizations/{id}/revoke/",
        "/api/v1/label-authorizations/{id}/withdraw/",
        "/api/v1/public/products/{id}/authorized-users/",
    ):
        assert path in paths, path
    assert paths["/api/v1/label-authorizations/{id}/suspend/"]["post"]["summary"].startswith("暂停")
    public = paths["/api/v1/public/products/{id}/authorized-users/"]["get"]
    assert public.get("security", [{}]) == [{}]
    # No component of this module clashes with another app's.
    assert "producers/api/authorizations.py" not in capsys.readouterr().err
