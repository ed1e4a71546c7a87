"""List pages, exports and list endpoints of the production app run the same number of queries
for one row as for many."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dibiao.production.services.logs import log_create
from dibiao.production.services.restrictions import restriction_lists_load_file
from dibiao.production.services.training import AttendeeInput, training_create
from dibiao.production.tests.logs_fixtures import api_as, at, client_as, grower, pesticide
from dibiao.production.tests.report_fixtures import (
    Sample,
    grape_scheme,
    lab_of,
    nutrition,
    record,
)
from dibiao.registry.models import GIProduct
from dibiao.registry.services import regulation_publish
from dibiao.testing.files import pdf_upload
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db

PAGES = (
    "production:log-list",
    "production:log-export",
    "production:log-quick",
    "production:report-list",
    "production:report-export",
    "production:training-list",
    "production:training-summary",
    "production:grade-product-list",
)
API = (
    "/api/v1/production-logs/",
    "/api/v1/test-reports/",
    "/api/v1/trainings/",
    "/api/v1/trainings/person-times/",
    "/api/v1/restricted-substances/",
    "/api/v1/restriction-lists/",
)


def _add_rows(tree: Any, county_admin: Any, lab_user: Any, province_admin: Any, n: int) -> None:
    for i in range(n):
        user, entry, base, product = grower(tree)
        log_create(actor=user, base=base, data=pesticide(occurred_at=at("2024-05-01")))
        grape_scheme(province_admin, product)
        record(
            lab_user,
            Sample(product, entry, user, base),
            lab=lab_of(lab_user),
            number=f"JC-{product.pk}-{i}",
            items=nutrition("18.5", "0.5"),
        )
        training_create(
            actor=county_admin,
            data={
                "product": product,
                "division": tree["c1a"],
                "held_on": dt.date(2024, 3, 1),
                "place": "村委会",
                "topic": "修剪",
                "trainer": "李老师",
                "attendee_count": 5,
            },
            attendees=[AttendeeInput("张三", "13812345678", entry)],
        )
        _publish(province_admin, product, "2020 版")


def _publish(actor: Any, product: Any, version: str) -> None:
    regulation_publish(
        actor=actor,
        product=product,
        title="生产技术规程",
        version=version,
        effective_on=dt.date(2020, 1, 1),
        upload=pdf_upload("规程.pdf"),
    )


def _counts(user: Any, product_pk: int) -> dict[str, int]:
    counts = {}
    client, api = client_as(user), api_as(user)
    requests = [(client, reverse(name)) for name in PAGES] + [(api, url) for url in API]
    requests.append((client, reverse("registry:product-detail", args=[product_pk])))
    requests.append((api, f"/api/v1/products/{product_pk}/regulations/"))
    for caller, url in requests:
        with CaptureQueriesContext(connection) as captured:
            response = caller.get(url)
            if getattr(response, "streaming", False):
                streamed(response)
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_list_queries_do_not_grow_with_rows(tree, county_admin, lab_user, province_admin):
    restriction_lists_load_file()
    _add_rows(tree, county_admin, lab_user, province_admin, 1)
    product = GIProduct.objects.get()
    few = _counts(county_admin, product.pk)
    _add_rows(tree, county_admin, lab_user, province_admin, 6)
    for year in range(2021, 2027):
        _publish(province_admin, product, f"{year} 版")
    assert _counts(county_admin, product.pk) == few
