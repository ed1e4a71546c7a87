"""Traceability in the verifiable ledger: trace events, batch releases and recalls, certificates
and code issuances get their leaves in the transaction of the change, code ranges are events
the audit replays, an honest trace flow audits clean and a record changed behind the services'
back is named."""

# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from io import StringIO
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command

from dibiao.core.errors import DomainError
from dibiao.ledger import audit
from dibiao.ledger import services as ledger
from dibiao.ledger import types as ledger_types
from dibiao.ledger.models import LedgerLeaf
from dibiao.ledger.types import Finding, SnapshotType
from dibiao.production.tests import report_fixtures
from dibiao.trace.choices import SegmentState
from dibiao.trace.models import (
    Batch,
    CodeIssuance,
    CodeSegment,
    ComplianceCertificate,
    TraceEventOutput,
)
from dibiao.trace.services import batches
from dibiao.trace.services import codes as code_services
from dibiao.trace.services.certificates import certificate_void
from dibiao.trace.tests.batches_fixtures import event, harvest, lab, make_batch
from dibiao.trace.tests.certificates_fixtures import BUSINESS_LINE, issue, recall, sale
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    World,
    clock,
    label_settings,
    product,
    world,
)

if TYPE_CHECKING:
    from dibiao.production.models import TestReport

pytestmark = pytest.mark.django_db


def _records(type_name: str, record_id: int) -> list[dict[str, Any]]:
    """The records of the leaves of one record, oldest first."""
    leaves = LedgerLeaf.objects.filter(record_type=type_name, record_id=record_id).order_by("id")
    return [json.loads(bytes(leaf.data))["record"] for leaf in leaves]


def _log_other_apps_fixture_records() -> None:
    """Fixtures write some records of other apps straight to their tables (the label-use
    authorization of `world`): log those as their services would, so that the audit here
    judges traceability alone."""
    for ledger_type in ledger_types.registered().values():
        if not isinstance(ledger_type, SnapshotType) or ledger_type.logged is None:
            continue
        if ledger_type.name.startswith("trace."):
            continue
        have = set(
            LedgerLeaf.objects.filter(record_type=ledger_type.name).values_list(
                "record_id", flat=True
            )
        )
        rows = ledger_type.model._base_manager.filter(ledger_type.logged)
        missing = [pk for pk in rows.values_list("pk", flat=True) if pk not in have]
        if missing:
            ledger.append_many(ledger_type.model, missing)


def _findings() -> list[Finding]:
    _log_other_apps_fixture_records()
    ledger.integrate()
    return audit.run().findings


def _released(world: World) -> Batch:
    return batches.batch_release(actor=world.user, batch=world.batch)


def _passing_report(world: World) -> TestReport:
    # Tested before the frozen clock's today (the report fixtures' dates follow the real one).
    sample = report_fixtures.Sample(world.product, world.producer, world.user, world.farm.base)
    return report_fixtures.record(
        None,
        sample,
        lab=lab(world.producer.division),
        number="JC-LEDGER-1",
        sampled_on=dt.date(2026, 9, 2),
        tested_on=dt.date(2026, 9, 5),
    )


def _bind(world: World, issuance: CodeIssuance, first: int, last: int, batch: Batch) -> None:
    code_services.codes_bind(
        actor=world.user, issuance=issuance, first_serial=first, last_serial=last, batch=batch
    )


def _void(world: World, issuance: CodeIssuance, first: int, last: int, reason: str) -> None:
    code_services.codes_void(
        actor=world.user, issuance=issuance, first_serial=first, last_serial=last, reason=reason
    )


# --- Leaves at the right events ------------------------------------------------------------------


def test_a_trace_event_is_logged_with_its_inputs_and_outputs(world):
    batch = _released(world)
    processing = event(world.farm, "processing", "2026-09-03", [(batch, "600")], outputs=["550"])
    made = processing.outputs.get().batch

    [logged] = _records("trace.event", processing.pk)
    assert logged["stage"] == "processing"
    assert logged["producer"] == world.producer.pk
    assert logged["inputs"] == [{"batch": batch.pk, "quantity": "600.000"}]
    assert logged["outputs"] == [{"batch": made.pk, "quantity": "550.000"}]
    # Made from a released batch, the output is born released: that release is logged too.
    [born] = _records("trace.batch", made.pk)
    assert born["status"] == "released"
    assert born["quantity"] == "550.000"


def test_an_output_of_an_open_batch_gets_no_leaf_until_it_is_released(world):
    processing = event(
        world.farm, "processing", "2026-09-03", [(world.batch, "600")], outputs=["550"]
    )
    made = processing.outputs.get().batch
    assert _records("trace.batch", made.pk) == []
    batches.batch_release(actor=None, batch=made)
    assert [r["status"] for r in _records("trace.batch", made.pk)] == ["released"]


def test_a_batch_is_logged_at_release_and_at_the_recall_of_each_batch_it_reaches(world):
    assert _records("trace.batch", world.batch.pk) == []  # an open batch is not logged
    batch = _released(world)
    processing = event(world.farm, "processing", "2026-09-03", [(batch, "600")], outputs=["550"])
    made = processing.outputs.get().batch
    recall(batch, "农残抽检不合格")

    head = _records("trace.batch", batch.pk)
    assert [r["status"] for r in head] == ["released", "recalled"]
    assert head[1]["recall_reason"] == "农残抽检不合格"
    assert head[1]["released_at"] == head[0]["released_at"]
    below = _records("trace.batch", made.pk)
    assert [r["status"] for r in below] == ["released", "recalled"]
    assert below[1]["recall_reason"].startswith(f"上游批次 {batch.number} 召回")


def test_an_open_batch_recalled_before_release_is_logged_and_must_stay_so(world):
    recall(world.batch)
    [logged] = _records("trace.batch", world.batch.pk)
    assert logged["status"] == "recalled"
    assert logged["released_at"] is None
    LedgerLeaf.objects.filter(record_type="trace.batch").delete()
    assert [(f.kind, f.record_id) for f in _findings()] == [("missing_leaf", world.batch.pk)]


def test_a_certificate_is_logged_at_issue_and_at_void_with_its_printed_contact(world):
    certificate = issue(_released(world), quantity="100")
    certificate_void(actor=None, certificate=certificate, reason="数量填错")

    logged = _records("trace.certificate", certificate.pk)
    assert [r["status"] for r in logged] == ["issued", "voided"]
    assert logged[0]["number"] == certificate.number
    assert logged[0]["quantity"] == "100.000"
    assert logged[0]["contact"] == BUSINESS_LINE
    assert logged[1]["void_reason"] == "数量填错"


def test_an_issuance_is_logged_and_each_bind_and_void_is_a_range_event(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 300, world.batch)
    _void(world, issuance, 201, 400, "印刷错误")

    [logged] = _records("trace.code_issuance", issuance.pk)
    assert (logged["number"], logged["first_serial"], logged["last_serial"]) == (
        issuance.number,
        1,
        1000,
    )
    assert logged["count"] == 1000
    ranges = _records("trace.code_range", issuance.pk)
    assert [(r["first"], r["last"], r["state"], r["batch"], r["reason"]) for r in ranges] == [
        (1, 300, "active", world.batch.pk, ""),
        (201, 400, "voided", None, "印刷错误"),
    ]
    assert ranges[0]["issuance"] == issuance.number


def test_a_refused_bind_leaves_no_range_event(world):
    issuance = world.issue(100)
    _void(world, issuance, 1, 10, "污损")
    with pytest.raises(DomainError):
        _bind(world, issuance, 5, 20, world.batch)
    assert len(_records("trace.code_range", issuance.pk)) == 1


# --- The audit on honest use ---------------------------------------------------------------------


def test_the_whole_trace_flow_audits_clean(world):
    batch = _released(world)
    second = make_batch(world.farm, harvest(world.farm, "2026-09-02", quantity="100"))
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 300, batch)
    _bind(world, issuance, 301, 400, second)
    _void(world, issuance, 250, 320, "印刷错误")  # across two active ranges
    _void(world, issuance, 900, 1000, "污损")  # issued codes
    _bind(world, issuance, 401, 500, batch)
    shipment = sale(world.farm, batch, quantity="1000", day="2026-09-05")
    processing = event(world.farm, "processing", "2026-09-06", [(batch, "2000")], outputs=["1800"])
    certificate = issue(batch, quantity="500", shipment=shipment)
    issue(processing.outputs.get().batch, quantity="100")
    certificate_void(actor=None, certificate=certificate, reason="数量填错")
    # Fields left out of the batch's leaf change after release without breaking the audit.
    batches.batch_update(actor=None, batch=batch, gtin="", notes="冷库二号")
    batches.batch_reports_link(actor=None, batch=batch, reports=[_passing_report(world)])
    recall(batch)
    recall(second)

    assert _findings() == []
    assert LedgerLeaf.objects.filter(record_type="trace.code_range").count() == 5


def test_random_binds_and_voids_replay_to_the_segments(world):
    # The replay in the audit must merge and split exactly as the service does.
    issuance = world.issue(200)
    others = [
        make_batch(world.farm, harvest(world.farm, f"2026-09-0{day}", quantity="100"))
        for day in (2, 3)
    ]
    choices = [world.batch, *others]
    rng = random.Random(6)
    done = 0
    for _ in range(60):
        first = rng.randint(1, 200)
        last = min(200, first + rng.randint(0, 15))
        try:
            if rng.random() < 0.7:
                _bind(world, issuance, first, last, rng.choice(choices))
            else:
                _void(world, issuance, first, last, rng.choice(["污损", "印刷错误"]))
        except DomainError:  # a range over voided or active codes: refused, nothing logged
            continue
        done += 1
    assert done >= 20
    assert LedgerLeaf.objects.filter(record_type="trace.code_range").count() == done
    assert CodeSegment.objects.filter(issuance=issuance).count() > 10
    assert _findings() == []


# --- The audit names a record changed behind the services' back -------------------------------


def _only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def test_a_changed_certificate_quantity_is_named(world):
    certificate = issue(_released(world), quantity="100")
    ComplianceCertificate.objects.filter(pk=certificate.pk).update(quantity=Decimal("1000"))
    found = _only(_findings())
    assert (found.kind, found.record_type, found.record_id) == (
        "mismatch",
        "trace.certificate",
        certificate.pk,
    )
    assert f"承诺达标合格证 #{certificate.pk}（{certificate.number}）" in found.message
    assert "quantity: 账本 100.000，数据库 1000.000" in found.message


def test_a_changed_event_output_quantity_is_named(world):
    processing = event(
        world.farm, "processing", "2026-09-03", [(world.batch, "600")], outputs=["550"]
    )
    TraceEventOutput.objects.filter(event=processing).update(quantity=Decimal("900"))
    found = _only(_findings())
    assert (found.kind, found.record_type, found.record_id) == (
        "mismatch",
        "trace.event",
        processing.pk,
    )
    assert f"追溯事件 #{processing.pk}" in found.message
    assert "outputs:" in found.message


def test_a_changed_recall_reason_is_named_and_fails_ledger_verify(world):
    batch = _released(world)
    recall(batch, "农残抽检不合格")
    Batch.objects.filter(pk=batch.pk).update(recall_reason="包装破损")
    found = _only(_findings())
    assert (found.kind, found.record_type, found.record_id) == ("mismatch", "trace.batch", batch.pk)
    assert f"批次 #{batch.pk}（{batch.number}）" in found.message
    assert "recall_reason: 账本 农残抽检不合格，数据库 包装破损" in found.message

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger_verify", "--quiet", "--no-alert", stdout=out)
    assert exit_info.value.code == 1
    assert f"批次 #{batch.pk}" in out.getvalue()


def test_a_segment_moved_to_another_batch_is_named_with_its_range(world):
    issuance = world.issue(1000)
    second = make_batch(world.farm, harvest(world.farm, "2026-09-02", quantity="100"))
    _bind(world, issuance, 101, 200, world.batch)
    CodeSegment.objects.filter(issuance=issuance, state=SegmentState.ACTIVE).update(batch=second)
    found = _only(_findings())
    assert (found.kind, found.record_type, found.record_id) == (
        "mismatch",
        "trace.code_range",
        issuance.pk,
    )
    bind_leaf = ledger.latest_leaf("trace.code_range", issuance.pk)
    assert bind_leaf is not None
    assert found.leaf_index == bind_leaf.leaf_index
    assert f"标签码发放 {issuance.number}（#{issuance.pk}）的码段 101–200" in found.message
    assert f"批次 {world.batch.number}" in found.message
    assert f"数据库为已激活（绑定批次 {second.number}）" in found.message


def test_a_voided_segment_turned_back_to_issued_is_named(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 100, world.batch)
    _void(world, issuance, 501, 600, "污损")
    CodeSegment.objects.filter(issuance=issuance, state=SegmentState.VOIDED).update(
        state=SegmentState.ISSUED, reason=""
    )
    found = _only(_findings())
    assert found.record_id == issuance.pk
    void_leaf = ledger.latest_leaf("trace.code_range", issuance.pk)
    assert void_leaf is not None
    assert found.leaf_index == void_leaf.leaf_index
    assert "码段 501–600" in found.message
    assert f"账本第 {void_leaf.leaf_index} 号叶为已作废（原因“污损”）" in found.message
    assert "数据库为已发放（未激活）" in found.message


def test_a_segment_changed_without_any_range_event_is_named(world):
    issuance = world.issue(1000)
    CodeSegment.objects.filter(issuance=issuance).update(state=SegmentState.VOIDED, reason="丢失")
    found = _only(_findings())
    assert (found.record_id, found.leaf_index) == (issuance.pk, None)
    assert "码段 1–1000" in found.message
    assert "没有激活或作废记录" in found.message


def test_a_deleted_or_overlapping_segment_is_named(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 100, world.batch)
    CodeSegment.objects.filter(issuance=issuance, state=SegmentState.ISSUED).delete()
    CodeSegment.objects.create(
        issuance=issuance,
        first_serial=50,
        last_serial=150,
        state=SegmentState.VOIDED,
        reason="伪造",
    )
    messages = [f.message for f in _findings()]
    assert len(messages) == 3, messages
    assert "码段 50–100" in messages[0]
    assert "重叠的码段" in messages[0]
    assert "码段 101–150" in messages[1]
    assert "码段 151–1000" in messages[2]
    assert "数据库为没有码段" in messages[2]
