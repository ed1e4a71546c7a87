"""No list page, export or list API of the producers app runs a query per row: each is read with
one row and with twenty, and must cost the same number of queries."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dibiao.core import pii
from dibiao.producers.models import FarmerLink, Household, Producer
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    applicant,
    applicant_pair,
    applicant_user,
    approved_for,
    clock,
    holder_org,
    product,
)
from dibiao.producers.tests.directory_fixtures import api_as, client_as
from dibiao.testing.factories import id_number, producer, production_base
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db


def _add_rows(tree: Any, product: Any, county_admin: Any, first: Producer, n: int) -> None:
    """`n` more entries, each with a base and an agreement; `first` gets `n` more years of
    figures and `n` more households in 2020."""
    start = FarmerLink.objects.filter(producer=first).count()
    for i in range(start, start + n):
        entry = producer(tree["c1a"], products=[product])
        production_base(entry, product)
        approved_for(entry, product, county_admin)
        FarmerLink.objects.create(
            producer=first,
            year=2000 + i,
            households=1,
            people=2,
            per_capita_income=1000 + i,
        )
        name, number = pii.seal_person_name(f"张{i}"), pii.seal_id_number(id_number(i))
        Household.objects.create(
            producer=first,
            year=2020,
            name_sealed=name.sealed,
            name_masked=name.masked,
            id_number_sealed=number.sealed,
            id_number_digest=number.digest,
            id_number_masked=number.masked,
        )


def _urls(first: Producer, product: Any) -> list[str]:
    return [
        "/producers/",
        "/producers/export/",
        "/producers/bases/",
        "/producers/authorizations/",
        "/producers/authorizations/export/",
        f"/producers/{first.pk}/",
        f"/producers/{first.pk}/farmers/",
        f"/producers/{first.pk}/households/2020/",
        f"/producers/public/products/{product.pk}/authorized/",
        "/api/v1/producers/",
        "/api/v1/bases/",
        "/api/v1/label-authorizations/",
        f"/api/v1/producers/{first.pk}/farmer-links/",
        f"/api/v1/producers/{first.pk}/households/",
        f"/api/v1/public/products/{product.pk}/authorized-users/",
    ]


def _queries(user: Any, url: str) -> int:
    client = api_as(user) if url.startswith("/api/") else client_as(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            streamed(response)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def test_lists_cost_the_same_for_one_row_and_for_twenty(tree, county_admin, product):
    first = producer(tree["c1a"], products=[product])
    _add_rows(tree, product, county_admin, first, 1)
    urls = _urls(first, product)
    one = {url: _queries(county_admin, url) for url in urls}
    _add_rows(tree, product, county_admin, first, 19)
    assert Producer.objects.count() == 21
    twenty = {url: _queries(county_admin, url) for url in urls}
    grown = {url: (one[url], twenty[url]) for url in urls if twenty[url] > one[url]}
    assert grown == {}
