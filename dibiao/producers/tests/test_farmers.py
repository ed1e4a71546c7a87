"""Farmers driven (带动农户、增收): growth computed in the selector (never stored), the yearly
services and their refusals, pages and API with scope 404s, the household summary."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from dibiao.core import pii
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.producers import selectors
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import FarmerLink, Household
from dibiao.producers.rules import FieldError
from dibiao.producers.services import farmers as services
from dibiao.producers.tests.directory_fixtures import api_as, client_as
from dibiao.testing.factories import id_number, producer, producer_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(tree):
    return producer(tree["c1a"], name="带动合作社")


def _link(actor, entry, year, income, households=100, people=300):
    return services.farmer_link_create(
        actor=actor,
        producer=entry,
        year=year,
        households=households,
        people=people,
        per_capita_income=income,
    )


def _household(entry, year, n, members=3):
    number = pii.seal_id_number(id_number(n))
    name = pii.seal_person_name(f"李{n}")
    return Household.objects.create(
        producer=entry,
        year=year,
        name_sealed=name.sealed,
        name_masked=name.masked,
        id_number_sealed=number.sealed,
        id_number_digest=number.digest,
        id_number_masked=number.masked,
        members=members,
    )


# --- Growth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "growth"),
    [
        ("11200", "10000", Decimal("12.0")),
        ("9000", "10000", Decimal("-10.0")),
        ("10001", "30000", Decimal("-66.7")),
        ("10000", "3", Decimal("333233.3")),
        ("10000", None, None),
        ("10000", "0", None),
    ],
)
def test_income_growth(current, previous, growth):
    previous_value = None if previous is None else Decimal(previous)
    assert selectors.income_growth(Decimal(current), previous_value) == growth


def test_rows_compute_growth_against_the_previous_year_only(county_admin, entry):
    _link(county_admin, entry, 2021, "10000")
    _link(county_admin, entry, 2022, "11200")
    _link(county_admin, entry, 2024, "13000")  # 2023 is missing
    rows = selectors.farmer_link_rows(user=county_admin, producer=entry)
    assert [(r.link.year, r.growth) for r in rows] == [
        (2024, None),
        (2022, Decimal("12.0")),
        (2021, None),
    ]
    assert "growth" not in {f.name for f in FarmerLink._meta.get_fields()}


def test_rows_carry_the_household_list_summary(county_admin, entry):
    _link(county_admin, entry, 2023, "10000")
    _household(entry, 2023, 1, members=4)
    _household(entry, 2023, 2, members=5)
    _household(entry, 2022, 3)
    [row] = selectors.farmer_link_rows(user=county_admin, producer=entry)
    assert (row.listed_households, row.listed_people) == (2, 9)
    years = selectors.household_years(user=county_admin, producer=entry)
    assert years == [
        {"year": 2023, "households": 2, "people": 9},
        {"year": 2022, "households": 1, "people": 3},
    ]


# --- Services --------------------------------------------------------------------------------


def test_create_and_update_are_audited(county_admin, entry):
    link = _link(county_admin, entry, 2023, "10000.50")
    services.farmer_link_update(
        actor=county_admin, link=link, households=120, people=360, per_capita_income="11000"
    )
    link.refresh_from_db()
    assert (link.households, link.per_capita_income) == (120, Decimal("11000.00"))
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]


def test_one_row_per_year(county_admin, entry):
    _link(county_admin, entry, 2023, "10000")
    with pytest.raises(FieldError) as info:
        _link(county_admin, entry, 2023, "12000")
    assert (info.value.field, info.value.code, info.value.status) == ("year", "duplicate_year", 409)


def test_people_not_below_households(county_admin, entry):
    with pytest.raises(FieldError) as info:
        _link(county_admin, entry, 2023, "10000", households=10, people=9)
    assert (info.value.field, info.value.code) == ("people", "people_below_households")


@time_machine.travel("2025-06-01 12:00 +0800")
@pytest.mark.parametrize("year", [1999, 2026])
def test_year_within_range(county_admin, entry, year):
    with pytest.raises(FieldError) as info:
        _link(county_admin, entry, year, "10000")
    assert info.value.code == "invalid_year"


def test_counts_beyond_the_column_are_a_field_error(county_admin, entry):
    # A PostgreSQL integer holds 2,147,483,647: a larger count must be refused, not a 500.
    with pytest.raises(FieldError) as info:
        _link(county_admin, entry, 2023, "10000", households=10, people=10**12)
    assert (info.value.field, info.value.code) == ("people", "invalid_count")
    assert not FarmerLink.objects.exists()


def test_income_not_negative(county_admin, entry):
    with pytest.raises(FieldError) as info:
        _link(county_admin, entry, 2023, "-1")
    assert info.value.field == "per_capita_income"


def test_a_closed_producer_reports_nothing(tree, county_admin):
    closed = producer(tree["c1a"], status=ProducerStatus.CLOSED)
    with pytest.raises(ProducersError) as info:
        _link(county_admin, closed, 2023, "10000")
    assert info.value.code == "producer_closed"


def test_who_may_report(tree, city_admin, other_county_admin, entry):
    user, own = producer_user(tree["c1a"])
    _link(user, own, 2023, "10000")
    with pytest.raises(NotFoundError):
        _link(user, entry, 2023, "10000")
    with pytest.raises(NotFoundError):
        _link(other_county_admin, entry, 2023, "10000")
    with pytest.raises(ForbiddenError):
        _link(city_admin, entry, 2023, "10000")


# --- Pages -----------------------------------------------------------------------------------


def test_yearly_table_shows_growth(county_admin, entry):
    _link(county_admin, entry, 2022, "10000")
    _link(county_admin, entry, 2023, "11200")
    html = (
        client_as(county_admin)
        .get(reverse("producers:farmer-list", args=[entry.pk]))
        .content.decode()
    )
    assert "12.0%" in html
    assert "填报年度情况" in html


def test_create_page_saves_and_shows_field_errors(county_admin, entry):
    client = client_as(county_admin)
    url = reverse("producers:farmer-create", args=[entry.pk])
    body = {"year": 2023, "households": 10, "people": 9, "per_capita_income": "10000"}
    assert "不应少于" in client.post(url, body).context["form"].errors["people"][0]
    body["people"] = 30
    assert client.post(url, body).status_code == 302
    again = client.post(url, body)
    assert "已填报" in again.context["form"].errors["year"][0]


def test_edit_page_keeps_the_year(county_admin, entry):
    link = _link(county_admin, entry, 2023, "10000")
    response = client_as(county_admin).post(
        reverse("producers:farmer-edit", args=[link.pk]),
        {"households": 5, "people": 6, "per_capita_income": "9000", "year": 2020},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.year, link.households) == (2023, 5)


def test_city_admin_reads_but_cannot_report(city_admin, entry):
    client = client_as(city_admin)
    assert client.get(reverse("producers:farmer-list", args=[entry.pk])).status_code == 200
    assert client.get(reverse("producers:farmer-create", args=[entry.pk])).status_code == 403


@pytest.mark.parametrize(
    "name", ["producers:farmer-list", "producers:farmer-create", "producers:farmer-edit"]
)
def test_another_countys_user_gets_404(county_admin, other_county_admin, entry, name):
    link = _link(county_admin, entry, 2023, "10000")
    pk = link.pk if name.endswith("edit") else entry.pk
    assert client_as(other_county_admin).get(reverse(name, args=[pk])).status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_api_lists_years_with_growth(county_admin, entry):
    _link(county_admin, entry, 2022, "10000")
    _link(county_admin, entry, 2023, "11200")
    rows = api_as(county_admin).get(f"/api/v1/producers/{entry.pk}/farmer-links/").json()["results"]
    assert [(r["year"], r["income_growth"]) for r in rows] == [(2023, "12.0"), (2022, None)]


def test_api_create_patch_and_refusals(county_admin, entry):
    client = api_as(county_admin)
    url = f"/api/v1/producers/{entry.pk}/farmer-links/"
    body = {"year": 2023, "households": 10, "people": 30, "per_capita_income": "10000.00"}
    created = client.post(url, body, format="json")
    assert created.status_code == 201
    duplicate = client.post(url, body, format="json")
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate_year")
    bad = client.post(url, {**body, "year": 2022, "people": 5}, format="json")
    assert "people" in bad.json()["errors"]
    patched = client.patch(
        f"/api/v1/farmer-links/{created.json()['id']}/", {"people": 40}, format="json"
    )
    assert (patched.json()["people"], patched.json()["households"]) == (40, 10)


@pytest.mark.parametrize("field", ["households", "people"])
def test_huge_counts_are_400_on_the_api_and_a_field_error_on_the_page(county_admin, entry, field):
    body = {"year": 2023, "households": 10, "people": 30, "per_capita_income": "10000.00"}
    body[field] = 10**12
    response = api_as(county_admin).post(
        f"/api/v1/producers/{entry.pk}/farmer-links/", body, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert field in response.json()["errors"]
    page = client_as(county_admin).post(reverse("producers:farmer-create", args=[entry.pk]), body)
    assert page.status_code == 200
    assert field in page.context["form"].errors
    link = _link(county_admin, entry, 2022, "10000")
    patched = api_as(county_admin).patch(
        f"/api/v1/farmer-links/{link.pk}/", {field: 10**12}, format="json"
    )
    assert patched.status_code == 400
    assert not FarmerLink.objects.filter(year=2023).exists()


def test_api_another_countys_user_gets_404(county_admin, other_county_admin, entry):
    link = _link(county_admin, entry, 2023, "10000")
    client = api_as(other_county_admin)
    assert client.get(f"/api/v1/producers/{entry.pk}/farmer-links/").status_code == 404
    assert client.get(f"/api/v1/farmer-links/{link.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/farmer-links/{link.pk}/", {"people": 1}, format="json").status_code
        == 404
    )
    response = client.post(
        f"/api/v1/producers/{entry.pk}/farmer-links/",
        {"year": 2022, "households": 1, "people": 1, "per_capita_income": "1"},
        format="json",
    )
    assert response.status_code == 404
