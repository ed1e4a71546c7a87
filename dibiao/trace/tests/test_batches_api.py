"""API of batches and trace events: create, release (409 after a failed test), recall with its
cascade and recipients, lineage, events with over-consumption refused, idempotent writes, bad
input (never a 500), scope (another county 404) and the OpenAPI schema."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dibiao.trace.choices import BatchStatus
from dibiao.trace.models import Batch, TraceEvent
from dibiao.trace.services import batches
from dibiao.trace.tests.batches_fixtures import (
    api_as,
    event,
    farm,
    fresh,
    harvest,
    input_log,
    make_batch,
    report,
)

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def f(tree):
    return farm(tree["c1a"], name="红枣合作社")


def _code(response) -> tuple[int, str]:
    return response.status_code, response.json().get("code", "")


# --- Batches -------------------------------------------------------------------------------------


def test_create_list_and_detail(f):
    logs = [harvest(f, "2026-09-01", quantity="300"), harvest(f, "2026-09-02", quantity="200")]
    linked = report(f)
    client = api_as(f.user)
    response = client.post(
        "/api/v1/batches/",
        {
            "harvest_logs": [log.pk for log in logs],
            "gtin": "06901234567892",
            "reports": [linked.pk],
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["quantity"] == "500.000"
    assert body["remaining"] == "500.000"
    assert body["harvest_date"] == "2026-09-02"
    assert body["status"] == "open"
    assert body["test_reports"][0]["report_number"] == linked.report_number
    assert sorted(body["harvest_logs"]) == sorted(log.pk for log in logs)
    listing = client.get("/api/v1/batches/", {"status": "open"}).json()
    assert listing["count"] == 1
    assert listing["results"][0]["number"] == body["number"]
    assert client.get(f"/api/v1/batches/{body['id']}/").json()["gtin"] == "06901234567892"


def test_create_is_idempotent(f):
    log = harvest(f)
    client = api_as(f.user)
    headers = {"Idempotency-Key": "batch-1"}
    first = client.post(
        "/api/v1/batches/", {"harvest_logs": [log.pk]}, format="json", headers=headers
    )
    again = client.post(
        "/api/v1/batches/", {"harvest_logs": [log.pk]}, format="json", headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Batch.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"harvest_logs": []}, (400, "invalid")),
        ({"harvest_logs": [HUGE]}, (400, "invalid")),
        ({"harvest_logs": ["abc"]}, (400, "invalid")),
        ({"harvest_logs": [True]}, (400, "invalid")),
        ({"harvest_logs": "x"}, (400, "invalid")),
        ({"harvest_logs": ["LOG"], "quantity": "600"}, (400, "quantity_exceeds_harvest")),
        ({"harvest_logs": ["LOG"], "quantity": "-1"}, (400, "invalid_quantity")),
        ({"harvest_logs": ["LOG"], "quantity": "1e400"}, (400, "invalid")),
        ({"harvest_logs": ["LOG"], "gtin": "12345678"}, (400, "invalid_gtin")),
        ({"harvest_logs": ["LOG"], "reports": [HUGE]}, (400, "invalid")),
    ],
)
def test_bad_create_input_is_a_coded_error_and_writes_nothing(f, body, expected):
    log = harvest(f)
    body = {
        k: ([log.pk if v == "LOG" else v for v in val] if isinstance(val, list) else val)
        for k, val in body.items()
    }
    response = api_as(f.user).post("/api/v1/batches/", body, format="json")
    assert _code(response) == expected
    assert not Batch.objects.exists()


def test_a_log_of_another_county_reads_as_missing(f, other_county_admin):
    response = api_as(other_county_admin).post(
        "/api/v1/batches/", {"harvest_logs": [harvest(f).pk]}, format="json"
    )
    assert _code(response) == (400, "invalid")


def test_release_refused_after_a_failed_test_then_allowed_for_a_good_batch(f):
    client = api_as(f.user)
    bad = make_batch(f, reports=[report(f, passed=False)])
    assert _code(client.post(f"/api/v1/batches/{bad.pk}/release/")) == (409, "batch_failed_test")
    good = make_batch(f)
    response = client.post(f"/api/v1/batches/{good.pk}/release/")
    assert response.json()["status"] == "released"
    assert _code(client.post(f"/api/v1/batches/{good.pk}/release/")) == (409, "invalid_transition")


def test_link_reports_and_update(f):
    batch = make_batch(f)
    linked = report(f, sample_code="YP-3")
    client = api_as(f.user)
    body = client.post(
        f"/api/v1/batches/{batch.pk}/reports/", {"codes": ["YP-3"]}, format="json"
    ).json()
    assert [r["id"] for r in body["test_reports"]] == [linked.pk]
    unknown = client.post(f"/api/v1/batches/{batch.pk}/reports/", {"codes": ["X"]}, format="json")
    assert _code(unknown) == (400, "report_not_found")
    patched = client.patch(
        f"/api/v1/batches/{batch.pk}/", {"gtin": "", "notes": "冷库"}, format="json"
    )
    assert patched.json()["notes"] == "冷库"


def test_recall_cascades_and_lists_the_recipients(tree, f):
    buyer = farm(tree["c2b"], f.product, name="太原果品公司")
    batch = batches.batch_release(actor=None, batch=make_batch(f))
    sale = event(f, "sale", "2026-09-02", [(batch, "200")], ["200"], destination=buyer.producer)
    received = sale.outputs.get().batch
    client = api_as(f.user)
    assert _code(client.post(f"/api/v1/batches/{batch.pk}/recall/", {}, format="json")) == (
        400,
        "invalid",
    )
    response = client.post(
        f"/api/v1/batches/{batch.pk}/recall/", {"reason": "农残超标"}, format="json"
    )
    body = response.json()
    assert body["batch"]["status"] == "recalled"
    assert [b["number"] for b in body["cascaded"]] == [received.number]
    assert body["recipients"][0]["name"] == "太原果品公司"
    assert body["recipients"][0]["items"][0] == {
        "batch_id": received.pk,
        "number": received.number,
        "quantity": "200.000",
        "unit": "千克",
    }
    assert fresh(received).status == BatchStatus.RECALLED
    again = client.post(f"/api/v1/batches/{batch.pk}/recall/", {"reason": "x"}, format="json")
    assert _code(again) == (409, "invalid_transition")


def test_lineage_back_to_bases_and_inputs_and_forward_to_shipments(tree, f):
    input_log(f, "2026-08-01", "吡虫啉")
    batch = make_batch(f, harvest(f, "2026-09-01"))
    split = event(f, "transport", "2026-09-02", [(batch, "500")], ["300", "200"])
    part = split.outputs.order_by("batch_id")[0].batch
    event(f, "sale", "2026-09-03", [(part, "100")], destination_name="城区超市")
    body = api_as(f.user).get(f"/api/v1/batches/{part.pk}/lineage/").json()
    assert [b["number"] for b in body["upstream"]] == [batch.number]
    assert body["origins"]["bases"][0]["name"] == f.base.name
    assert body["origins"]["inputs"][0]["name"] == "吡虫啉"
    assert [e["stage_code"] for e in body["timeline"]] == ["harvest", "transport", "sale"]
    assert body["recipients"][0]["name"] == "城区超市"
    top = api_as(f.user).get(f"/api/v1/batches/{batch.pk}/lineage/").json()
    assert len(top["downstream"]) == 2


def test_another_county_gets_404_on_every_batch_endpoint(f, other_county_admin):
    batch = make_batch(f)
    client = api_as(other_county_admin)
    for url in ("", "lineage/"):
        assert _code(client.get(f"/api/v1/batches/{batch.pk}/{url}")) == (404, "not_found")
    for url in ("release/", "recall/", "reports/"):
        response = client.post(f"/api/v1/batches/{batch.pk}/{url}", {"reason": "x"}, format="json")
        assert _code(response) == (404, "not_found")
    assert _code(client.patch(f"/api/v1/batches/{batch.pk}/", {}, format="json")) == (
        404,
        "not_found",
    )
    assert client.get("/api/v1/batches/").json()["count"] == 0
    assert client.get(f"/api/v1/batches/{HUGE}/").status_code == 404


def test_the_province_reads_but_does_not_write(f, province_admin):
    batch = make_batch(f)
    client = api_as(province_admin)
    assert client.get(f"/api/v1/batches/{batch.pk}/").status_code == 200
    assert _code(client.post(f"/api/v1/batches/{batch.pk}/release/")) == (403, "permission_denied")
    response = client.post("/api/v1/batches/", {"harvest_logs": [harvest(f).pk]}, format="json")
    assert _code(response) == (403, "permission_denied")


def test_list_parameters_are_validated(f, county_admin):
    client = api_as(county_admin)
    assert _code(client.get("/api/v1/batches/", {"product": HUGE})) == (400, "invalid")
    assert _code(client.get("/api/v1/trace-events/", {"batch": HUGE})) == (400, "invalid")
    wide = client.get("/api/v1/trace-events/", {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert wide.status_code == 200


# --- Events --------------------------------------------------------------------------------------


def _event_body(batch, quantity="200", **extra):
    body = {
        "stage": "processing",
        "occurred_at": "2026-09-05T10:00:00+08:00",
        "inputs": [{"batch": batch.pk, "quantity": quantity}],
        "outputs": [{"quantity": "120"}, {"quantity": "80"}],
    }
    body.update(extra)
    return body


def test_record_a_split_and_refuse_over_consumption(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    client = api_as(f.user)
    response = client.post("/api/v1/trace-events/", _event_body(batch), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["producer"]["name"] == "红枣合作社"
    assert [o["quantity"] for o in body["outputs"]] == ["120.000", "80.000"]
    over = client.post("/api/v1/trace-events/", _event_body(batch, "300.001"), format="json")
    assert _code(over) == (409, "over_consumption")
    assert TraceEvent.objects.count() == 1
    assert client.get(f"/api/v1/trace-events/{body['id']}/").json()["stage_display"] == "加工"
    listed = client.get("/api/v1/trace-events/", {"batch": batch.pk}).json()
    assert listed["count"] == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"inputs": []}, (400, "inputs_required")),
        ({"inputs": [{"batch": HUGE, "quantity": "1"}]}, (400, "invalid")),
        ({"inputs": [{"batch": "x", "quantity": "1"}]}, (400, "invalid")),
        ({"outputs": [{"quantity": "-1"}]}, (400, "invalid")),
        ({"stage": "harvest"}, (400, "invalid")),
        ({"occurred_at": "2099-01-01T00:00:00+08:00"}, (400, "event_in_future")),
        ({"occurred_at": "not a time"}, (400, "invalid")),
        ({"stage": "sale", "outputs": []}, (400, "destination_required")),
        ({"destination": HUGE}, (400, "invalid")),
        ({"producer": HUGE}, (400, "invalid")),
    ],
)
def test_bad_event_input_is_a_coded_error(f, extra, expected):
    batch = make_batch(f)
    response = api_as(f.user).post(
        "/api/v1/trace-events/", _event_body(batch, **extra), format="json"
    )
    assert _code(response) == expected
    assert not TraceEvent.objects.exists()


def test_a_county_admin_names_the_producer(f, county_admin):
    batch = make_batch(f)
    client = api_as(county_admin)
    missing = client.post("/api/v1/trace-events/", _event_body(batch), format="json")
    assert _code(missing) == (400, "producer_required")
    named = client.post(
        "/api/v1/trace-events/", _event_body(batch, producer=f.producer.pk), format="json"
    )
    assert named.status_code == 201


def test_events_of_another_county_are_404(f, other_county_admin):
    batch = make_batch(f)
    recorded = event(f, "storage", "2026-09-02", [(batch, "100")])
    client = api_as(other_county_admin)
    assert _code(client.get(f"/api/v1/trace-events/{recorded.pk}/")) == (404, "not_found")
    assert client.get("/api/v1/trace-events/").json()["count"] == 0
    foreign = client.post(
        "/api/v1/trace-events/", _event_body(batch, producer=f.producer.pk), format="json"
    )
    assert _code(foreign) == (400, "invalid")


def test_the_schema_documents_the_endpoints_without_warnings_of_ours(tmp_path):
    err = io.StringIO()
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), stdout=io.StringIO(), stderr=err)
    schema = target.read_text(encoding="utf-8")
    for path in (
        "/api/v1/batches/",
        "/api/v1/batches/{id}/recall/",
        "/api/v1/batches/{id}/lineage/",
        "/api/v1/trace-events/",
    ):
        assert f"{path}:" in schema
    ours = [
        line
        for line in err.getvalue().splitlines()
        if "trace/api/batches" in line or "trace/api/events" in line
    ]
    assert ours == []
