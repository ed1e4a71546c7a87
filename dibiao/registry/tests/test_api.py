from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.registry.choices import ProductCategory, ProductStatus
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import (
    TEST_PASSWORD,
    OrganizationFactory,
    ProductFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/products/"


def detail_url(product: GIProduct) -> str:
    return f"/api/v1/products/{product.pk}/"


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


@pytest.fixture
def products(tree):
    """One product in each of the four counties, plus one placed at city c1."""
    return {
        key: ProductFactory.create(name=f"产品{key}", divisions=[tree[key]])
        for key in ("c1a", "c1b", "c2a", "c2b", "c1")
    }


# --- reading ----------------------------------------------------------------------------------


def test_province_admin_lists_every_product_in_the_province(province_admin, products):
    response = api_as(province_admin).get(LIST_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 5
    assert sorted(_names(response)) == sorted(p.name for p in products.values())


def test_county_user_lists_only_its_own_countys_products(county_admin, products):
    response = api_as(county_admin).get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert _names(response) == ["产品c1a"]


def test_city_user_lists_its_counties_and_the_city_itself(city_admin, products):
    response = api_as(city_admin).get(LIST_URL)
    assert sorted(_names(response)) == ["产品c1", "产品c1a", "产品c1b"]


def test_list_row_has_the_documented_fields(tree, county_admin):
    holder = OrganizationFactory.create(name="清徐县葡萄协会", division=tree["c1a"])
    ProductFactory.create(
        name="清徐葡萄",
        certificate_number="AGI01055",
        certificate_holder=holder,
        divisions=[tree["c1a"]],
    )

    (row,) = api_as(county_admin).get(LIST_URL).json()["results"]

    assert row["certificate_number"] == "AGI01055"
    assert row["certificate_holder"] == {"id": holder.pk, "name": "清徐县葡萄协会"}
    assert row["divisions"] == [
        {"code": tree["c1a"].code, "name": tree["c1a"].name, "level": "county"}
    ]
    assert row["category_display"] == "果茶"
    assert row["status"] == ProductStatus.REGISTERED


def test_county_user_gets_404_for_another_countys_product(county_admin, products):
    response = api_as(county_admin).get(detail_url(products["c2a"]))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"]


def test_county_user_gets_404_for_a_sibling_countys_product(county_admin, products):
    response = api_as(county_admin).get(detail_url(products["c1b"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_out_of_scope_and_missing_products_look_the_same(county_admin, products):
    other = api_as(county_admin).get(detail_url(products["c2a"]))
    missing = api_as(county_admin).get("/api/v1/products/999999/")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


def test_county_user_reads_its_own_product(county_admin, products):
    response = api_as(county_admin).get(detail_url(products["c1a"]))
    assert response.status_code == 200
    assert response.json()["name"] == "产品c1a"


@pytest.mark.parametrize("url_key", ["list", "detail"])
def test_anonymous_request_gets_401_not_authenticated(products, url_key):
    url = LIST_URL if url_key == "list" else detail_url(products["c1a"])

    response = api_as(None).get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]


def test_bad_token_gets_401(products):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get(LIST_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_token_from_the_token_endpoint_reads_the_scoped_list(tree, products):
    user_with_role(Role.COUNTY_ADMIN, tree["c2b"], username="county_c2b")
    client = APIClient()

    token = client.post(
        "/api/v1/auth/token/", {"username": "county_c2b", "password": TEST_PASSWORD}
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert _names(response) == ["产品c2b"]


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.EXPERT])
def test_roles_without_business_scope_list_nothing(tree, products, role):
    user = user_with_role(role, tree["p"])
    response = api_as(user).get(LIST_URL)
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_list_is_paginated_with_count_and_results(tree, province_admin):
    for n in range(25):
        ProductFactory.create(name=f"产品{n:02d}", divisions=[tree["c1a"]])
    client = api_as(province_admin)

    first = client.get(LIST_URL).json()
    second = client.get(LIST_URL, {"page": 2}).json()
    small = client.get(LIST_URL, {"page_size": 5}).json()

    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["next"]
    assert first["previous"] is None
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert len(small["results"]) == 5
    all_names = [r["name"] for r in first["results"] + second["results"]]
    assert all_names == sorted(all_names)
    assert len(set(all_names)) == 25


def test_page_beyond_the_end_is_404_not_found(province_admin, products):
    response = api_as(province_admin).get(LIST_URL, {"page": 9})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_list_filters_by_text_category_status_and_division(tree, province_admin):
    holder = OrganizationFactory.create(name="沁水县蜂业协会", division=tree["c2a"])
    grapes = ProductFactory.create(
        name="清徐葡萄",
        category=ProductCategory.FRUIT_TEA,
        certificate_number="AGI01055",
        divisions=[tree["c1a"]],
    )
    honey = ProductFactory.create(
        name="沁水刺槐蜂蜜",
        category=ProductCategory.LIVESTOCK,
        certificate_holder=holder,
        divisions=[tree["c2a"]],
    )
    millet = ProductFactory.create(
        name="隆化小米",
        category=ProductCategory.GRAIN_OIL,
        status=ProductStatus.CANCELLED,
        divisions=[tree["c1b"]],
    )
    client = api_as(province_admin)

    def names(**params):
        return sorted(_names(client.get(LIST_URL, params)))

    assert names(q="葡萄") == [grapes.name]
    assert names(q="AGI01055") == [grapes.name]
    assert names(q="蜂业协会") == [honey.name]
    assert names(category=ProductCategory.GRAIN_OIL) == [millet.name]
    assert names(status=ProductStatus.CANCELLED) == [millet.name]
    assert names(status=ProductStatus.REGISTERED) == sorted([grapes.name, honey.name])
    assert names(division=tree["c2a"].code) == [honey.name]
    assert names(division=tree["c1"].code) == sorted([grapes.name, millet.name])
    assert names(division="999999") == []


def test_filters_never_widen_a_county_users_scope(tree, county_admin, products):
    response = api_as(county_admin).get(LIST_URL, {"division": tree["c2a"].code})
    assert response.json()["count"] == 0


# --- creating ---------------------------------------------------------------------------------


def _payload(tree, **overrides):
    data = {
        "name": "清徐葡萄",
        "category": ProductCategory.FRUIT_TEA,
        "certificate_number": "AGI01055",
        "divisions": [tree["c1a"].code],
        "notes": "证书持有人未查到",
    }
    data.update(overrides)
    return data


def test_county_admin_creates_a_product_in_its_county(tree, county_admin):
    response = api_as(county_admin).post(LIST_URL, _payload(tree), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "清徐葡萄"
    assert body["divisions"][0]["code"] == tree["c1a"].code
    product = GIProduct.objects.get(pk=body["id"])
    assert product.certificate_number == "AGI01055"
    assert (
        AuditLog.objects.filter(
            action=AuditAction.CREATE, object_type="registry.giproduct", object_id=str(product.pk)
        ).count()
        == 1
    )


def test_county_admin_cannot_create_in_another_county(tree, county_admin):
    response = api_as(county_admin).post(
        LIST_URL, _payload(tree, divisions=[tree["c2a"].code]), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "division_out_of_scope"
    assert not GIProduct.objects.exists()


@pytest.mark.parametrize(
    ("role", "division_key"), [(Role.CITY_ADMIN, "c1"), (Role.PRODUCER, "c1a")]
)
def test_city_admin_and_producer_cannot_create(tree, role, division_key):
    user = user_with_role(role, tree[division_key])

    response = api_as(user).post(LIST_URL, _payload(tree), format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not GIProduct.objects.exists()


def test_anonymous_cannot_create(tree):
    response = api_as(None).post(LIST_URL, _payload(tree), format="json")
    assert response.status_code == 401
    assert not GIProduct.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"certificate_number": "AGI123"}, "certificate_number"),
        ({"name": ""}, "name"),
        ({"category": "flowers"}, "category"),
        ({"divisions": ["999999"]}, "divisions"),
        ({"registration_year": 1999}, "registration_year"),
        ({"min_longitude": "200"}, "min_longitude"),
    ],
)
def test_invalid_input_is_a_400_with_code_invalid(tree, county_admin, overrides, field):
    response = api_as(county_admin).post(LIST_URL, _payload(tree, **overrides), format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith(f"{field}:")
    assert field in body["errors"]
    assert not GIProduct.objects.exists()


def test_missing_required_fields_are_reported(county_admin):
    response = api_as(county_admin).post(LIST_URL, {}, format="json")
    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert {"name", "category", "divisions"} <= set(body["errors"])


def test_duplicate_certificate_number_is_a_400_invalid_product(tree, county_admin):
    ProductFactory.create(name="已有产品", certificate_number="AGI01055", divisions=[tree["c1a"]])

    response = api_as(county_admin).post(LIST_URL, _payload(tree), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_product"
    assert "登记证书编号" in response.json()["message"]
    assert GIProduct.objects.count() == 1


def test_certificate_holder_in_scope_is_accepted(tree, county_admin):
    holder = OrganizationFactory.create(name="清徐县葡萄协会", division=tree["c1a"])

    response = api_as(county_admin).post(
        LIST_URL, _payload(tree, certificate_holder=holder.pk), format="json"
    )

    assert response.status_code == 201
    assert response.json()["certificate_holder"] == {"id": holder.pk, "name": "清徐县葡萄协会"}


def test_another_countys_organization_reads_as_a_missing_holder(tree, county_admin):
    elsewhere = OrganizationFactory.create(division=tree["c2a"])
    client = api_as(county_admin)

    foreign = client.post(LIST_URL, _payload(tree, certificate_holder=elsewhere.pk), format="json")
    missing = client.post(LIST_URL, _payload(tree, certificate_holder=999999), format="json")

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["code"] == "invalid"
    assert "certificate_holder" in foreign.json()["errors"]
    assert foreign.json()["message"].replace(str(elsewhere.pk), "N") == missing.json()[
        "message"
    ].replace("999999", "N")
    assert not GIProduct.objects.exists()


def test_half_filled_coordinate_box_is_refused_by_the_api(tree, county_admin):
    response = api_as(county_admin).post(
        LIST_URL, _payload(tree, min_longitude="112.1"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_product"
    assert not GIProduct.objects.exists()


# --- updating ---------------------------------------------------------------------------------


def test_county_admin_patches_its_own_product(county_admin, products):
    product = products["c1a"]

    response = api_as(county_admin).patch(
        detail_url(product), {"subcategory": "鲜食葡萄"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["subcategory"] == "鲜食葡萄"
    product.refresh_from_db()
    assert product.subcategory == "鲜食葡萄"
    row = AuditLog.objects.get(action=AuditAction.UPDATE, object_id=str(product.pk))
    assert row.changes == {"before": {"subcategory": ""}, "after": {"subcategory": "鲜食葡萄"}}


def test_county_admin_patch_of_another_countys_product_is_404(county_admin, products):
    product = products["c2a"]

    response = api_as(county_admin).patch(detail_url(product), {"name": "改名"}, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    product.refresh_from_db()
    assert product.name == "产品c2a"


def test_county_admin_patches_a_product_shared_with_another_county(tree, county_admin):
    shared = ProductFactory.create(name="跨县产品", divisions=[tree["c1a"], tree["c2a"]])

    response = api_as(county_admin).patch(detail_url(shared), {"story": "两县共有"}, format="json")

    assert response.status_code == 200
    assert {d["code"] for d in response.json()["divisions"]} == {
        tree["c1a"].code,
        tree["c2a"].code,
    }


def test_city_admin_patch_in_scope_is_403(city_admin, products):
    response = api_as(city_admin).patch(
        detail_url(products["c1a"]), {"name": "改名"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_patch_with_invalid_certificate_number_is_400(county_admin, products):
    response = api_as(county_admin).patch(
        detail_url(products["c1a"]), {"certificate_number": "XYZ"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    products["c1a"].refresh_from_db()
    assert products["c1a"].certificate_number == ""


def test_patch_moving_product_out_of_scope_is_refused(tree, county_admin, products):
    response = api_as(county_admin).patch(
        detail_url(products["c1a"]), {"divisions": [tree["c2a"].code]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "division_out_of_scope"
    assert list(products["c1a"].divisions.all()) == [tree["c1a"]]


def test_delete_is_not_allowed(province_admin, products):
    response = api_as(province_admin).delete(detail_url(products["c1a"]))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert GIProduct.objects.filter(pk=products["c1a"].pk).exists()


# --- status transitions through the API ---------------------------------------------------------


def test_status_change_through_api_and_repeat_is_a_409(tree, county_admin):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from dibiao.core.models import AuditLog

    product = ProductFactory.create(divisions=[tree["c1a"]])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_admin).key}")
    url = f"/api/v1/products/{product.pk}/status/"
    done = client.post(url, {"status": "cancelled", "reason": "证书注销"}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "cancelled"
    again = client.post(url, {"status": "cancelled", "reason": "再次注销"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    missing_reason = client.post(url, {"status": "registered"}, format="json")
    assert missing_reason.status_code == 400
    assert AuditLog.objects.filter(action="transition", object_id=str(product.pk)).count() == 1


def test_status_change_of_another_countys_product_is_404(tree, county_admin):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    product = ProductFactory.create(divisions=[tree["c1b"]])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_admin).key}")
    response = client.post(
        f"/api/v1/products/{product.pk}/status/", {"status": "cancelled", "reason": "x"}
    )
    assert response.status_code == 404


def test_echoing_the_current_holder_of_a_shared_product_is_accepted(tree, county_admin):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from dibiao.testing.factories import OrganizationFactory

    holder_elsewhere = OrganizationFactory.create(division=tree["c1b"])
    shared = ProductFactory.create(
        divisions=[tree["c1a"], tree["c1b"]], certificate_holder=holder_elsewhere
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=county_admin).key}")
    response = client.patch(
        f"/api/v1/products/{shared.pk}/",
        {"certificate_holder": holder_elsewhere.pk, "story": "新故事"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["certificate_holder"] == {
        "id": holder_elsewhere.pk,
        "name": holder_elsewhere.name,
    }
    assert [d["code"] for d in response.json()["divisions"]] == [tree["c1a"].code, tree["c1b"].code]
