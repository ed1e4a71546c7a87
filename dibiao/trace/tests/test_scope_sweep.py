"""Every staff page and API route of the trace app that names an object by id answers 404 (or
403) to a producer of the same county that does not own it and to another county's admin, and
none of those answers shows the owner's batch number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from dibiao.testing.factories import producer_user
from dibiao.trace.models import (
    ComplianceCertificate,
    CounterfeitAlert,
    LabelJob,
    TraceEvent,
    TraceEventInput,
)
from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db

APPS: tuple[str, ...] = (
    "trace/",
    "api/v1/trace",
    "api/v1/batches",
    "api/v1/trace-events",
    "api/v1/certificates",
    "api/v1/code-issuances",
    "api/v1/label-jobs",
    "api/v1/label-authorizations",
)


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


def _owned_ids(tree) -> dict[str, int]:
    world = fx.labels(tree)
    event = TraceEvent.objects.create(
        stage="storage", occurred_at=fx.at("2026-09-10"), producer=world.producer
    )
    TraceEventInput.objects.create(event=event, batch=world.batch, quantity=1)
    certificate = ComplianceCertificate.objects.create(
        number="HG-SWEEP-1",
        batch=world.batch,
        producer=world.producer,
        product_name="清徐葡萄",
        quantity=1,
        unit="kg",
        origin="清徐县",
        basis="self_tested",
        contact="0351-1234567",
        keep_until=dt.date(2028, 10, 1),
    )
    job = LabelJob.objects.create(
        issuance=world.issuance, first_serial=1000, last_serial=1009, format="csv", total=10
    )
    alert = CounterfeitAlert.objects.create(
        kind="too_many_scans",
        division=world.producer.division,
        producer=world.producer,
        issuance=world.issuance,
        serial=1000,
    )
    return {
        "batches": world.batch.pk,
        "trace-events": event.pk,
        "events": event.pk,
        "certificates": certificate.pk,
        "label-jobs": job.pk,
        "alerts": alert.pk,
        "issuances": world.issuance.pk,
        "code-issuances": world.issuance.pk,
        "reconciliation": world.authorization.pk,
        "label-authorizations": world.authorization.pk,
    }


@pytest.mark.parametrize("who", ["same_county_producer", "other_county_admin"])
def test_another_scope_gets_404_on_every_object_route(tree, other_county_admin, who):
    ids = _owned_ids(tree)
    if who == "same_county_producer":
        user, _ = producer_user(tree["c1a"], name="另一家合作社")
    else:
        user = other_county_admin
    client = Client(raise_request_exception=False)
    client.force_login(user)
    checked = 0
    leaks: list[tuple[str, ...]] = []
    for route in _routes(get_resolver().url_patterns):
        if "<int:pk>" not in route or not route.startswith(APPS):
            continue
        before = route.split("<int:pk>")[0].rstrip("/").split("/")
        noun = before[-1] if before[-1] in ids else None
        if noun is None:
            continue
        url = "/" + route.replace("<int:pk>", str(ids[noun]))
        response = client.get(url)
        checked += 1
        body = response.content.decode(errors="replace")
        if response.status_code not in (403, 404, 405) or "001-20260901-001" in body:
            leaks.append((url, str(response.status_code)))
        for method in (client.post, client.patch):
            response = method(url, data={}, content_type="application/json")
            if response.status_code not in (403, 404, 405):
                leaks.append((method.__name__, url, str(response.status_code)))
    assert checked > 25
    assert not leaks, leaks
