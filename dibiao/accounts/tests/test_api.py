from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization
from dibiao.core.models import AuditLog
from dibiao.testing.factories import (
    TEST_PASSWORD,
    OrganizationFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_token_endpoint_returns_token_and_audits_login(tree):
    user_with_role(Role.COUNTY_ADMIN, tree["c1a"], username="county_a")
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "county_a", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    assert Token.objects.get(key=response.json()["token"]).user.username == "county_a"
    assert AuditLog.objects.filter(action="login", detail="API 令牌").count() == 1


def test_token_endpoint_validation_errors_are_coded():
    response = APIClient().post("/api/v1/auth/token/", {"username": "x"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith("password")


def test_malformed_json_is_a_coded_400():
    response = APIClient().post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_bad_token_is_401_with_code():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nonsense")
    response = client.get("/api/v1/divisions/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_divisions_are_scoped(tree):
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    city = user_with_role(Role.CITY_ADMIN, tree["c1"])
    assert [d["code"] for d in api_as(county).get("/api/v1/divisions/").json()["results"]] == [
        tree["c1a"].code
    ]
    assert api_as(city).get("/api/v1/divisions/?level=county").json()["count"] == 2
    assert api_as(county).get(f"/api/v1/divisions/{tree['c1b'].code}/").status_code == 404
    assert (
        api_as(county).get(f"/api/v1/divisions/{tree['c1a'].code}/").json()["parent_code"]
        == tree["c1"].code
    )


def test_organizations_list_is_scoped_and_phone_masked(tree):
    own = OrganizationFactory.create(division=tree["c1a"], phone="13812345678")
    OrganizationFactory.create(division=tree["c2a"])
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    body = api_as(county).get("/api/v1/organizations/").json()
    names = {row["name"] for row in body["results"]}
    assert own.name in names
    assert all(row["division"] == tree["c1a"].code for row in body["results"])
    assert next(r for r in body["results"] if r["name"] == own.name)["phone"] == "138****5678"


def test_other_county_organization_is_404(tree):
    other = OrganizationFactory.create(division=tree["c1b"])
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    response = api_as(county).get(f"/api/v1/organizations/{other.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert (
        api_as(county).patch(f"/api/v1/organizations/{other.pk}/", {"name": "x"}).status_code == 404
    )


def test_county_admin_creates_and_edits_organization_in_scope(tree):
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    client = api_as(county)
    created = client.post(
        "/api/v1/organizations/",
        {"name": "某合作社", "kind": OrganizationKind.PRODUCER, "division": tree["c1a"].code},
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    patched = client.patch(f"/api/v1/organizations/{pk}/", {"contact": "王五"})
    assert patched.status_code == 200
    assert Organization.objects.get(pk=pk).contact == "王五"
    outside = client.post(
        "/api/v1/organizations/",
        {"name": "外县社", "kind": OrganizationKind.PRODUCER, "division": tree["c2a"].code},
    )
    assert outside.status_code == 400
    assert outside.json()["code"] == "division_out_of_scope"


def test_city_admin_and_producer_cannot_write_organizations(tree):
    for role, division in ((Role.CITY_ADMIN, tree["c1"]), (Role.PRODUCER, tree["c1a"])):
        response = api_as(user_with_role(role, division)).post(
            "/api/v1/organizations/",
            {"name": "x", "kind": "producer", "division": tree["c1a"].code},
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_anonymous_gets_401_everywhere():
    for url in ("/api/v1/divisions/", "/api/v1/organizations/", "/api/v1/products/"):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_schema_and_docs_are_served_without_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/products/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
    assert "drf_spectacular_sidecar" in docs


def test_session_write_without_csrf_token_says_so(tree):
    from django.test import Client

    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/organizations/",
        {"name": "x", "kind": "producer", "division": tree["c1a"].code},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"


def test_county_admin_cannot_deactivate_government_bodies_through_the_api(tree):
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    bureau = county.memberships.get().organization
    response = api_as(county).patch(
        f"/api/v1/organizations/{bureau.pk}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "organization_kind_not_allowed"
    assert Organization.objects.get(pk=bureau.pk).is_active
