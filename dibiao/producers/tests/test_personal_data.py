"""Phone and ID numbers never leave the producers app unmasked, except through the audited full
view: every page, export and API response of the app is scanned with the regular expressions
of a mobile number and an ID number, for every role that reads them, and so are the audit rows
and the stored answers of idempotent writes that the app's writes leave behind."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from dibiao.accounts.choices import Role
from dibiao.core.models import AuditLog, IdempotencyRecord
from dibiao.producers.models import FarmerLink, Household, Producer
from dibiao.producers.services import farmers as farmer_services
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    applicant,
    applicant_pair,
    applicant_user,
    approved,
    clock,
    holder_org,
    holder_user,
    pending_county,
    pending_holder,
    product,
)
from dibiao.producers.tests.directory_fixtures import (
    DIRECTORY_HEADERS,
    HOUSEHOLD_HEADERS,
    api_as,
    assert_no_personal_data,
    client_as,
    directory_row,
    household_row,
    xlsx_upload,
)
from dibiao.testing.factories import (
    VALID_ID_NUMBER,
    id_number,
    producer,
    production_base,
    user_with_role,
)
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db
HOUSEHOLDER_PHONE = "13712345678"
APPLICANT_PHONE = "13812345678"  # producer_user's default


@pytest.fixture
def world(tree, county_admin, approved, applicant, product) -> dict[str, Any]:
    """An individual farmer with known numbers, a base, a year of figures and a household list
    of the applicant (whose agreement is `approved`)."""
    farmer = producer(
        tree["c1a"],
        name="个体农户甲",
        kind="individual",
        id_number_value=VALID_ID_NUMBER,
        phone=HOUSEHOLDER_PHONE,
        products=[product],
    )
    base = production_base(applicant, product, name="东于基地")
    link = farmer_services.farmer_link_create(
        actor=county_admin,
        producer=applicant,
        year=2023,
        households=3,
        people=9,
        per_capita_income="10000",
    )
    farmer_services.household_import(
        actor=county_admin,
        producer=applicant,
        year=2023,
        upload=xlsx_upload(HOUSEHOLD_HEADERS, [household_row(n) for n in range(3)]),
    )
    return {"farmer": farmer, "base": base, "link": link, "applicant": applicant}


def _pages(world: dict[str, Any], approved: Any, product: Any) -> list[str]:
    applicant, farmer = world["applicant"], world["farmer"]
    return [
        reverse("producers:producer-list"),
        reverse("producers:producer-export"),
        reverse("producers:producer-detail", args=[farmer.pk]),
        reverse("producers:producer-detail", args=[applicant.pk]),
        reverse("producers:producer-edit", args=[farmer.pk]),
        reverse("producers:base-list"),
        reverse("producers:base-detail", args=[world["base"].pk]),
        reverse("producers:farmer-list", args=[applicant.pk]),
        reverse("producers:household-list", args=[applicant.pk, 2023]),
        reverse("producers:authorization-list"),
        reverse("producers:authorization-export"),
        reverse("producers:authorization-detail", args=[approved.pk]),
        reverse("producers:public-authorized-list", args=[product.pk]),
    ]


def _apis(world: dict[str, Any], approved: Any, product: Any) -> list[str]:
    applicant, farmer = world["applicant"], world["farmer"]
    return [
        "/api/v1/producers/",
        f"/api/v1/producers/?q={VALID_ID_NUMBER}",
        f"/api/v1/producers/{farmer.pk}/",
        f"/api/v1/producers/{applicant.pk}/",
        "/api/v1/bases/",
        f"/api/v1/bases/{world['base'].pk}/",
        f"/api/v1/producers/{applicant.pk}/farmer-links/",
        f"/api/v1/farmer-links/{world['link'].pk}/",
        f"/api/v1/producers/{applicant.pk}/households/",
        "/api/v1/label-authorizations/",
        f"/api/v1/label-authorizations/{approved.pk}/",
        f"/api/v1/public/products/{product.pk}/authorized-users/",
    ]


def _text(response: Any) -> str:
    if hasattr(response, "streaming_content"):
        from io import BytesIO

        from openpyxl import load_workbook

        sheet = load_workbook(BytesIO(streamed(response)), read_only=True).worksheets[0]
        return str(list(sheet.iter_rows(values_only=True)))
    return response.content.decode()


def _readers(tree: Any, county_admin: Any, applicant_user: Any, holder_user: Any) -> list[Any]:
    return [
        county_admin,
        user_with_role(Role.PROVINCE_ADMIN, tree["p"]),
        user_with_role(Role.CITY_ADMIN, tree["c1"]),
        user_with_role(Role.COUNTY_GOV, tree["c1a"]),
        applicant_user,
        holder_user,
    ]


def test_no_page_or_export_shows_a_full_number_to_any_reader(
    tree, world, approved, product, county_admin, applicant_user, holder_user
):
    plain = (HOUSEHOLDER_PHONE, VALID_ID_NUMBER, APPLICANT_PHONE, id_number(0), "王0明")
    scanned = 0
    for reader in _readers(tree, county_admin, applicant_user, holder_user):
        client = client_as(reader)
        for url in _pages(world, approved, product):
            response = client.get(url)
            if response.status_code == 200:
                assert_no_personal_data(_text(response), *plain)
                scanned += 1
    # Every reader reads something: the scan is not vacuous.
    assert scanned >= 40


def test_no_api_response_shows_a_full_number_to_any_reader(
    tree, world, approved, product, county_admin, applicant_user, holder_user
):
    plain = (HOUSEHOLDER_PHONE, VALID_ID_NUMBER, APPLICANT_PHONE, id_number(0), "王0明")
    scanned = 0
    for reader in _readers(tree, county_admin, applicant_user, holder_user):
        client = api_as(reader)
        for url in _apis(world, approved, product):
            response = client.get(url)
            assert response.status_code in (200, 404), (url, response.status_code)
            if response.status_code == 200:
                body = response.content.decode()
                assert_no_personal_data(body, *plain)
                assert "k1." not in body  # no sealed value
                assert world["farmer"].phone_digest not in body  # no search digest
                scanned += 1
    assert scanned >= 40


def test_audit_rows_and_stored_answers_of_writes_hold_no_full_number(tree, county_admin, product):
    """Create, edit, import, export and reveal through the API and pages, then scan every audit
    row (changes, detail, object) and every stored idempotent answer."""
    api = api_as(county_admin)
    created = api.post(
        "/api/v1/producers/",
        {
            "name": "个体农户乙",
            "kind": "individual",
            "id_number": VALID_ID_NUMBER,
            "phone": HOUSEHOLDER_PHONE,
            "division": tree["c1a"].code,
            "products": [product.pk],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-1",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    api.patch(
        f"/api/v1/producers/{pk}/",
        {"phone": "13698765432", "contact_name": "王五"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="patch-1",
    )
    rows = [directory_row(n, kind="种养大户") for n in range(3)]
    imported = api.post(
        "/api/v1/producers/import/",
        {"file": xlsx_upload(DIRECTORY_HEADERS, rows)},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="import-1",
    )
    assert imported.status_code == 200
    households = api.post(
        f"/api/v1/producers/{pk}/households/import/",
        {"year": 2023, "file": xlsx_upload(HOUSEHOLD_HEADERS, [household_row(7)])},
        format="multipart",
    )
    assert households.status_code == 200
    revealed = api.get(f"/api/v1/producers/{pk}/personal-data/")
    assert revealed.json()["phone"] == "13698765432"  # the full view itself is in clear
    client_as(county_admin).get(reverse("producers:producer-export"), {"q": VALID_ID_NUMBER})
    assert Producer.objects.count() == 4
    assert Household.objects.count() == 1
    assert not FarmerLink.objects.exists()

    audit = list(AuditLog.objects.all())
    assert len(audit) >= 6
    plain = (HOUSEHOLDER_PHONE, VALID_ID_NUMBER, "13698765432", id_number(7), "王7明")
    for row in audit:
        assert_no_personal_data(f"{row.changes} {row.detail} {row.object_repr}", *plain)
    answers = list(IdempotencyRecord.objects.all())
    assert len(answers) == 3
    for answer in answers:
        assert_no_personal_data(str(answer.response), *plain)
