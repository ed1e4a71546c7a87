"""Reconciliation of an authorization: labels issued against the authorized quantity and the
year's harvest, labels bound per batch against what the batch can carry; over-labelling raises
an alert for the producer's county."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.testing.factories import user_with_role
from dibiao.trace.choices import AlertKind
from dibiao.trace.models import CounterfeitAlert, TraceEvent, TraceEventOutput
from dibiao.trace.reconciliation import labels_capacity, reconcile
from dibiao.trace.services.alerts import over_labelling_check
from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


@pytest.fixture
def world(tree):
    """1,000 labels issued (1000–1999): 500 bound to a batch of 500 pieces; then a second
    issuance (3000–3999) with 300 labels bound to a batch of only 100 boxes and 250 to a batch
    of 50 kg (200 labels at 4 per kg)."""
    w = fx.labels(tree)
    small = fx.batch(
        w.producer, w.product, w.base, number="001-20260902-001", quantity="100", unit="盒"
    )
    bulk = fx.batch(
        w.producer, w.product, w.base, number="001-20260903-001", quantity="50", unit="千克"
    )
    second = fx.issuance(w.authorization, 3000, 3999)
    fx.segment(second, 3000, 3299, "active", small)
    fx.segment(second, 3300, 3549, "active", bulk)
    fx.segment(second, 3550, 3999, "issued")
    w.small, w.bulk, w.second = small, bulk, second  # type: ignore[attr-defined]
    return w


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_capacity_by_unit(settings):
    assert labels_capacity(Decimal("120.7"), "个") == 120
    assert labels_capacity(Decimal("50"), "千克") == 200
    assert labels_capacity(Decimal("50"), " KG ") == 200
    assert labels_capacity(Decimal("100"), "斤") == 200
    assert labels_capacity(Decimal("1.5"), "吨") == 6000
    assert labels_capacity(Decimal("10"), "亩") is None
    settings.DIBIAO_LABELS_PER_KG = 2
    assert labels_capacity(Decimal("50"), "公斤") == 100


def test_the_report_adds_up_issued_bound_and_harvested(world):
    report = reconcile(world.authorization)
    assert report.labels_issued == 2000
    assert report.authorized_quantity == 10_000
    assert report.labels_by_state == {"issued": 750, "active": 1050, "voided": 200}
    rows = {row.batch.number: row for row in report.batches}
    assert (rows["001-20260901-001"].labels_bound, rows["001-20260901-001"].over) == (500, False)
    assert (rows["001-20260902-001"].labels_bound, rows["001-20260902-001"].labels_allowed) == (
        300,
        100,
    )
    assert rows["001-20260902-001"].over
    assert rows["001-20260903-001"].over
    assert rows["001-20260903-001"].last_issuance == world.second
    harvested = {h.unit: (h.quantity, h.batches) for h in report.harvested}
    assert harvested == {
        "个": (Decimal("500"), 1),
        "盒": (Decimal("100"), 1),
        "千克": (Decimal("50"), 1),
    }
    assert report.harvest_capacity == 800
    assert report.over_harvest
    assert not report.over_authorized
    assert report.flagged


def test_a_batch_made_by_a_trace_event_is_not_counted_as_harvest(world):
    split = fx.batch(world.producer, world.product, None, number="001-20260905-001", quantity="50")
    event = TraceEvent.objects.create(
        stage="processing", occurred_at=fx.at("2026-09-05"), producer=world.producer
    )
    TraceEventOutput.objects.create(event=event, batch=split, quantity=Decimal("50"))
    harvested = {h.unit: h.quantity for h in reconcile(world.authorization).harvested}
    assert harvested["个"] == Decimal("500")


def test_over_labelling_raises_one_alert_per_batch_for_the_county(world, tree):
    raised = over_labelling_check(authorization=world.authorization)
    assert len(raised) == 2
    alerts = CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).order_by("id")
    assert [a.division for a in alerts] == [tree["c1a"], tree["c1a"]]
    first = alerts[0]
    assert first.producer == world.producer
    assert first.issuance == world.second
    assert first.evidence["batch"] == "001-20260902-001"
    assert (first.evidence["labels_bound"], first.evidence["labels_allowed"]) == (300, 100)
    assert first.evidence["authorization"] == world.authorization.number
    over_labelling_check(authorization=world.authorization)
    assert CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).count() == 2
    # Over-labelling is about a batch, not about one code: no code turns suspicious.
    assert all(a.serial is None for a in alerts)


def test_the_reconciliation_page_flags_the_batches_and_runs_the_check(client, world, county_admin):
    client.force_login(county_admin)
    listed = client.get("/trace/reconciliation/").context["object_list"]
    assert [(a.pk, a.labels_issued, a.issuance_count) for a in listed] == [
        (world.authorization.pk, 2000, 2)
    ]
    html = client.get(f"/trace/reconciliation/{world.authorization.pk}/").content.decode()
    assert html.count("超量用标") >= 2
    assert "需核查" in html
    response = client.post(f"/trace/reconciliation/{world.authorization.pk}/check/", follow=True)
    assert "发现 2 个批次超量用标" in response.content.decode()
    assert CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).count() == 2


def test_the_producer_sees_its_reconciliation_but_cannot_raise_alerts(client, world, tree):
    producer_login = user_with_role(Role.PRODUCER, tree["c1a"])
    world.producer.organization = producer_login.memberships.get().organization
    world.producer.save()
    client.force_login(producer_login)
    assert client.get(f"/trace/reconciliation/{world.authorization.pk}/").status_code == 200
    assert client.post(f"/trace/reconciliation/{world.authorization.pk}/check/").status_code == 403
    response = api_as(producer_login).post(
        f"/api/v1/trace/reconciliation/{world.authorization.pk}/check/"
    )
    assert response.status_code == 403
    assert not CounterfeitAlert.objects.exists()


def test_another_county_gets_404_for_the_reconciliation(client, world, other_county_admin):
    client.force_login(other_county_admin)
    pk = world.authorization.pk
    assert client.get(f"/trace/reconciliation/{pk}/").status_code == 404
    assert client.post(f"/trace/reconciliation/{pk}/check/").status_code == 404
    assert list(client.get("/trace/reconciliation/").context["object_list"]) == []
    api = api_as(other_county_admin)
    assert api.get(f"/api/v1/trace/reconciliation/{pk}/").status_code == 404
    assert api.post(f"/api/v1/trace/reconciliation/{pk}/check/").status_code == 404
    assert not CounterfeitAlert.objects.exists()


def test_the_reconciliation_api(world, province_admin):
    api = api_as(province_admin)
    body = api.get(f"/api/v1/trace/reconciliation/{world.authorization.pk}/").json()
    assert body["labels_issued"] == 2000
    assert body["harvest_capacity"] == 800
    assert body["labels_by_state"] == {"issued": 750, "active": 1050, "voided": 200}
    assert [b["over"] for b in body["batches"]] == [False, True, True]
    assert body["alerts"] == []
    assert body["flagged"] is True
    checked = api.post(f"/api/v1/trace/reconciliation/{world.authorization.pk}/check/").json()
    assert len(checked["alerts"]) == 2


def test_an_authorization_without_labels_is_not_listed(client, world, tree, county_admin):
    other = fx.producer(tree["c1a"], name="另一合作社", products=[world.product])
    fx.authorization(other, world.product)
    client.force_login(county_admin)
    listed = client.get("/trace/reconciliation/").context["object_list"]
    assert [a.pk for a in listed] == [world.authorization.pk]


def test_the_daily_command_checks_the_year_s_authorizations(world, tree):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("trace_reconcile", "--year", "2026", stdout=out)
    assert "1 个授权" in out.getvalue()
    assert "2 个批次超量用标" in out.getvalue()
    assert CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).count() == 2
    call_command("trace_reconcile", "--year", "2025", stdout=StringIO())
    assert CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).count() == 2
