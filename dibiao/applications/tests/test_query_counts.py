"""List endpoints must not run a query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dibiao.applications.tests.builders import draft
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _queries(user) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/applications/").status_code == 200
    return len(captured)


def test_application_list_queries_do_not_grow_with_rows(county_admin, program, tree):
    draft(county_admin, program, ProductFactory.create(divisions=[tree["c1a"]]))
    few = _queries(county_admin)
    for _ in range(8):
        draft(county_admin, program, ProductFactory.create(divisions=[tree["c1a"]]))
    assert _queries(county_admin) == few


def test_out_of_range_ids_in_review_bodies_are_a_400(province_admin, program):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=province_admin)[0].key}"
    )
    url = f"/api/v1/applications/programs/{program.pk}/review/open/"
    response = client.post(url, {"experts": [10**20], "applications": [10**20]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
