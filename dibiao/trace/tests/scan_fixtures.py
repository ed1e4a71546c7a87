"""Helpers for the scan, alert and counterfeit tests (plain functions and fixtures imported by
the test modules: pytest loads fixtures only from conftest.py, which is shared).

The rows are written straight to the tables — an approved authorization, a harvested batch with
a passing test report, an issuance whose segments are bound, left issued or voided — so these
tests exercise the scan side only (the codes and batch services have their own tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dibiao.accounts.choices import OrganizationKind
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer, ProductionBase
from dibiao.production.models import TestItem, TestReport
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import OrganizationFactory, ProductFactory, producer, production_base
from dibiao.trace import codes
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY_ID = 1
KEYS = {1: b"k" * 32}
# A phone, an ID number and an operator's name that must never reach a scan's output.
PHONE = "13812345678"
OPERATOR = "王秀英"


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=SHANGHAI)


@dataclass
class Labels:
    """One producer's label world: product, authorization, batch and an issuance of serials
    1000–1999 with 1000–1499 bound to the batch, 1500–1799 issued only, 1800–1999 voided."""

    product: GIProduct
    producer: Producer
    base: ProductionBase
    authorization: LabelAuthorization
    batch: Batch
    issuance: CodeIssuance
    report: TestReport

    def code(self, serial: int) -> str:
        return codes.encode(KEY_ID, serial)

    @property
    def genuine(self) -> str:
        return self.code(1000)

    @property
    def not_activated(self) -> str:
        return self.code(1500)

    @property
    def voided(self) -> str:
        return self.code(1800)


def authorization(
    producer_entry: Producer, product: GIProduct, *, year: int = 2026, quantity: int = 10_000
) -> LabelAuthorization:
    return LabelAuthorization.objects.create(
        producer=producer_entry,
        product=product,
        year=year,
        number=f"SQ{year}{LabelAuthorization.objects.count() + 1:04d}",
        qualifications="合作社营业执照",
        production_plan="种植 300 亩",
        quality_measures="按技术规程生产",
        requested_quantity=quantity,
        authorized_quantity=quantity,
        scope="礼盒装",
        commitment=True,
        status="approved",
        valid_from=dt.date(year, 1, 1),
        valid_until=dt.date(year, 12, 31),
    )


def issuance(
    auth: LabelAuthorization, first: int, last: int, *, key_id: int = KEY_ID
) -> CodeIssuance:
    return CodeIssuance.objects.create(
        number=f"LC{first:010d}",
        authorization=auth,
        producer=auth.producer,
        product=auth.product,
        key_id=key_id,
        first_serial=first,
        last_serial=last,
        count=last - first + 1,
    )


def segment(
    issued: CodeIssuance, first: int, last: int, state: str, batch: Batch | None = None
) -> CodeSegment:
    return CodeSegment.objects.create(
        issuance=issued,
        first_serial=first,
        last_serial=last,
        state=state,
        batch=batch,
        reason="标签印刷错误" if state == "voided" else "",
    )


def batch(
    producer_entry: Producer,
    product: GIProduct,
    base: ProductionBase | None,
    *,
    number: str,
    quantity: str = "500",
    unit: str = "个",
    harvest_date: dt.date = dt.date(2026, 9, 1),
) -> Batch:
    return Batch.objects.create(
        number=number,
        product=product,
        producer=producer_entry,
        base=base,
        quantity=Decimal(quantity),
        unit=unit,
        harvest_date=harvest_date,
        status="released",
    )


def passing_report(producer_entry: Producer, product: GIProduct, division: Division) -> TestReport:
    lab = OrganizationFactory.create(
        kind=OrganizationKind.LAB, division=division, name="山西省农产品质量安全检验检测中心"
    )
    report = TestReport.objects.create(
        kind="safety",
        lab=lab,
        report_number=f"JC2026-{TestReport.objects.count() + 1:04d}",
        product=product,
        producer=producer_entry,
        sample_code="YP-001",
        sampled_on=dt.date(2026, 8, 25),
        tested_on=dt.date(2026, 8, 28),
        result="pass",
    )
    for name, value, limit in (("毒死蜱", "0.002", "0.02"), ("乐果", "0.001", "0.01")):
        TestItem.objects.create(
            report=report,
            category="safety",
            name=name,
            value=Decimal(value),
            unit="mg/kg",
            limit_max=Decimal(limit),
            method="GB 23200.113",
        )
    return report


def labels(tree: dict[str, Division], *, county: str = "c1a", **extra: Any) -> Labels:
    division = tree[county]
    product = ProductFactory.create(
        name=extra.get("product_name", "清徐葡萄"),
        certificate_number="AGI00001",
        status="registered",
        quality_characteristics="果粒大、皮薄、含糖量高。",
        story="清徐种植葡萄已有一千三百多年历史。",
        divisions=[division],
    )
    entry = producer(
        division,
        name=extra.get("producer_name", "清徐县葡萄专业合作社"),
        products=[product],
        phone=PHONE,
        contact_name=OPERATOR,
        address="马峪乡东于村 3 号",
    )
    base = production_base(entry, product, name="东于葡萄基地")
    auth = authorization(entry, product)
    made = batch(entry, product, base, number=extra.get("batch_number", "001-20260901-001"))
    report = passing_report(entry, product, division)
    made.test_reports.add(report)
    issued = issuance(auth, 1000, 1999)
    segment(issued, 1000, 1499, "active", made)
    segment(issued, 1500, 1799, "issued")
    segment(issued, 1800, 1999, "voided")
    return Labels(product, entry, base, auth, made, issued, report)


def one_char_changed(code: str) -> str:
    """The code with one payload character replaced (what a typo or a forger produces)."""
    ch = code[5]
    return code[:5] + ("Z" if ch != "Z" else "Y") + code[6:]


def forged(serial: int, key_id: int = KEY_ID) -> str:
    """A well-formed code (right check character) whose MAC is not the key's: a forgery."""
    mac = codes.mac_for(key_id, serial) ^ 1
    value = (((key_id << codes.SERIAL_BITS) | serial) << codes.MAC_BITS) | mac
    return codes._payload_base32(value) + codes.CHECK_SYMBOLS[value % 37]


def thresholds(**values: int) -> None:
    """Set the province's thresholds (the row is created with its defaults first)."""
    from dibiao.trace.counterfeit import forget_trace_settings
    from dibiao.trace.models import TraceSettings

    TraceSettings.objects.get_or_create(pk=1)
    TraceSettings.objects.filter(pk=1).update(**values)
    forget_trace_settings()
