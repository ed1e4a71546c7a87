"""Helpers for the certificate, EPCIS, national-platform and Digital Link tests (plain
functions: pytest loads fixtures only from conftest.py, which is shared). They build on the
batch helpers (`batches_fixtures`): a farm in a county with a base, harvest logs, batches made
by the batch service and events recorded by the event service."""

from __future__ import annotations

from dataclasses import dataclass

from dibiao.accounts.models import User
from dibiao.core.models import Division
from dibiao.producers.models import Producer
from dibiao.production.models import TestReport
from dibiao.testing.factories import producer as directory_entry
from dibiao.trace.models import Batch, ComplianceCertificate, TraceEvent
from dibiao.trace.services import batches, certificates
from dibiao.trace.tests.batches_fixtures import (
    Farm,
    event,
    farm,
    harvest,
    input_log,
    make_batch,
    report,
)

VALID_GTIN13 = "1234567890128"  # GS1's example (shared/standards/README.md)
BUSINESS_LINE = "0351-7654321"


def batch_with_report(
    f: Farm, *, quantity: str = "500", gtin: str = "", passed: bool = True
) -> tuple[Batch, TestReport]:
    """A batch of one harvest with a linked test report (passing unless told)."""
    found = report(f, passed=passed)
    batch = make_batch(f, harvest(f, quantity=quantity), gtin=gtin, reports=[found])
    return batch, found


def issue(
    batch: Batch,
    *,
    actor: User | None = None,
    quantity: str = "100",
    basis: str = "quality_control",
    contact: str = BUSINESS_LINE,
    test_report: TestReport | None = None,
    shipment: TraceEvent | None = None,
) -> ComplianceCertificate:
    return certificates.certificate_issue(
        actor=actor,
        batch=batch,
        quantity=quantity,
        basis=basis,
        contact=contact,
        test_report=test_report,
        shipment=shipment,
    )


def sale(f: Farm, batch: Batch, quantity: str = "200", day: str = "2026-09-05") -> TraceEvent:
    return event(f, "sale", day, [(batch, quantity)], destination_name="太原某超市")


@dataclass
class Story:
    """A demo-like trace: a farm's harvest (with an input log) → batch with a GTIN and a
    passing test → storage → processing into a new batch → sale of part of it to a wholesaler
    in the directory (another county) → the wholesaler's transport."""

    farm: Farm
    batch: Batch
    report: TestReport
    storage: TraceEvent
    processing: TraceEvent
    processed: Batch
    sale: TraceEvent
    received: Batch
    wholesaler: Producer
    transport: TraceEvent


def story(county: Division, other_county: Division) -> Story:
    f = farm(county, name="清徐葡萄合作社")
    input_log(f, "2026-08-01", "吡虫啉")
    batch, found = batch_with_report(f, quantity="800", gtin=VALID_GTIN13)
    storage = event(f, "storage", "2026-09-02", [(batch, "800")], place="合作社冷库")
    processing = event(f, "processing", "2026-09-03", [(batch, "600")], outputs=["550"])
    processed = processing.outputs.get().batch
    wholesaler = directory_entry(other_county, name="晋中果品批发公司")
    sold = event(
        f,
        "sale",
        "2026-09-04",
        [(processed, "300")],
        outputs=["300"],
        destination=wholesaler,
    )
    received = sold.outputs.get().batch
    transport = event(wholesaler, "transport", "2026-09-05", [(received, "300")])
    return Story(
        f, batch, found, storage, processing, processed, sold, received, wholesaler, transport
    )


def recall(batch: Batch, reason: str = "农残抽检不合格") -> None:
    batches.batch_recall(actor=None, batch=batch, reason=reason)
