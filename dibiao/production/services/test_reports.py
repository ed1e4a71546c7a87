"""Test reports (检验检测报告 / 营养品质评价报告), recorded by labs.

A lab's users record reports for their lab; the province may record one on a lab's behalf
(choosing the lab). A lab samples any producer and product of its province. Whatever is typed
in, the derived facts are computed here and nowhere else:

- each item's `passed`: its value lies within its limits (inclusive; no limit, no failure);
- the report's `result`: fail when any item fails its limits, else pass;
- the report's `grade`: the product's best grade whose criteria the items meet (grading.py).

Only the lab that made a report corrects it; a correction of the items re-derives all three
and, like every change, is audited with the items before and after. A recorded or corrected
report, items included, goes into the verifiable ledger (production/ledger.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from dibiao.accounts.models import Organization, User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.uploads import check_upload
from dibiao.ledger import services as ledger
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production import selectors
from dibiao.production.choices import TestItemCategory, TestKind, TestResult
from dibiao.production.errors import ProductionError
from dibiao.production.models import TestItem, TestReport
from dibiao.production.permissions import can_correct_report, can_record_tests
from dibiao.production.services.grading import decimal_value, grade_for_items, scheme_of
from dibiao.registry.models import GIProduct

__test__ = False  # a service module whose name starts with "test_": not pytest's

MAX_ITEMS = 200
EARLIEST_YEAR = 2000
PDF_ONLY = frozenset({"pdf"})
# The fields a correction may change; the lab never changes.
CORRECTABLE_FIELDS = frozenset(
    {
        "kind",
        "report_number",
        "product",
        "producer",
        "base",
        "sample_code",
        "batch_code",
        "sampled_on",
        "tested_on",
        "notes",
    }
)


@dataclass(frozen=True)
class ItemData:
    """One parsed, validated item of a report."""

    name: str
    category: str
    value: Decimal
    unit: str
    limit_min: Decimal | None
    limit_max: Decimal | None
    method: str

    def within_limits(self) -> bool:
        low_ok = self.limit_min is None or self.value >= self.limit_min
        high_ok = self.limit_max is None or self.value <= self.limit_max
        return low_ok and high_ok


def _text(raw: Any, label: str, max_length: int, *, required: bool, code: str) -> str:
    text = " ".join(str(raw or "").split())
    if required and not text:
        raise ProductionError(code, f"请填写{label}。")
    if len(text) > max_length:
        raise ProductionError(code, f"{label}不能超过 {max_length} 个字。")
    return text


def parse_items(rows: Iterable[Mapping[str, Any]]) -> list[ItemData]:
    """Validate a report's items: at least one, each named once, with a numeric value and,
    when both limits are given, min ≤ max."""
    items: list[ItemData] = []
    for n, raw in enumerate(rows, start=1):
        name = _text(
            raw.get("name"), f"第 {n} 项的检测项目", 100, required=True, code="invalid_item"
        )
        where = f"检测项目“{name}”"
        category = str(raw.get("category") or TestItemCategory.SAFETY)
        if category not in TestItemCategory.values:
            raise ProductionError("invalid_item", f"{where}的指标类别无效。")
        value = decimal_value(raw.get("value"), f"{where}的检测值", required=True)
        if value is None:  # required=True has refused it already; this narrows the type
            raise ProductionError("invalid_value", f"请填写{where}的检测值。")
        low = decimal_value(raw.get("limit_min"), f"{where}的限量下限", required=False)
        high = decimal_value(raw.get("limit_max"), f"{where}的限量上限", required=False)
        if low is not None and high is not None and low > high:
            raise ProductionError("invalid_item", f"{where}的限量下限不能大于上限。")
        items.append(
            ItemData(
                name=name,
                category=category,
                value=value,
                unit=_text(
                    raw.get("unit"), f"{where}的单位", 20, required=False, code="invalid_item"
                ),
                limit_min=low,
                limit_max=high,
                method=_text(
                    raw.get("method"),
                    f"{where}的检测方法",
                    100,
                    required=False,
                    code="invalid_item",
                ),
            )
        )
    if not items:
        raise ProductionError("items_required", "报告至少需要一个检测项目。")
    if len(items) > MAX_ITEMS:
        raise ProductionError("invalid_item", f"一份报告的检测项目不能超过 {MAX_ITEMS} 项。")
    seen: set[str] = set()
    for item in items:
        key = " ".join(item.name.split()).casefold()
        if key in seen:
            raise ProductionError("duplicate_item", f"检测项目“{item.name}”重复填写。")
        seen.add(key)
    return items


def _check_dates(sampled_on: dt.date, tested_on: dt.date) -> None:
    today = timezone.localdate()
    if sampled_on.year < EARLIEST_YEAR:
        # A typing error such as 0024 for 2024.
        raise ProductionError("invalid_dates", f"抽样日期不能早于 {EARLIEST_YEAR} 年。")
    if tested_on < sampled_on:
        raise ProductionError("invalid_dates", "检测日期不能早于抽样日期。")
    if tested_on > today:
        raise ProductionError("invalid_dates", "检测日期不能晚于今天。")


def _check_sample(
    actor: User | None,
    *,
    product: GIProduct,
    producer: Producer,
    base: ProductionBase | None,
    changed: frozenset[str],
) -> None:
    """The sample's product and producer are ones the actor may pick (a lab: its province),
    and a base belongs to that producer and product."""
    if actor is not None:
        products = selectors.sample_product_choices(user=actor)
        if "product" in changed and not products.filter(pk=product.pk).exists():
            raise ProductionError("invalid_product", "该产品不存在或不在您可选择的范围内。")
        producers = selectors.sample_producer_choices(user=actor)
        if "producer" in changed and not producers.filter(pk=producer.pk).exists():
            raise ProductionError("invalid_producer", "该受检主体不存在或不在您可选择的范围内。")
    if base is not None and (base.producer_id != producer.pk or base.product_id != product.pk):
        raise ProductionError("invalid_base", f"基地“{base.name}”不属于该受检主体的该产品。")


def _checked_pdf(upload: UploadedFile) -> UploadedFile:
    """The report file: a PDF by its content (check_upload), stored under a random name; the
    download is named after the report number."""
    check_upload(upload, allowed=PDF_ONLY)
    upload.name = f"{uuid.uuid4().hex}.pdf"
    return upload


def _item_rows(items: Iterable[TestItem | ItemData]) -> list[dict[str, Any]]:
    return [
        {
            "name": i.name,
            "category": i.category,
            "value": str(i.value),
            "unit": i.unit,
            "limit_min": None if i.limit_min is None else str(i.limit_min),
            "limit_max": None if i.limit_max is None else str(i.limit_max),
            "method": i.method,
            "passed": i.within_limits(),
        }
        for i in items
    ]


def _snapshot(report: TestReport) -> dict[str, Any]:
    # The file is named by hand: core.audit reads a FieldFile's `url`, which raises (a
    # ValueError, not an AttributeError) when a report has no file.
    return {
        **model_snapshot(report, exclude=frozenset({"file"})),
        "file": report.file.name or "",
        "items": _item_rows(report.items.order_by("pk")),
    }


def _derive(report: TestReport, items: Sequence[ItemData]) -> None:
    """Result and grade from the items (and the product's current scheme)."""
    passed = all(item.within_limits() for item in items)
    report.result = TestResult.PASS if passed else TestResult.FAIL
    report.grade = grade_for_items(scheme=scheme_of(report.product_id), items=items, passed=passed)


def _write_items(report: TestReport, items: Sequence[ItemData]) -> None:
    report.items.all().delete()
    TestItem.objects.bulk_create(
        TestItem(
            report=report,
            name=i.name,
            category=i.category,
            value=i.value,
            unit=i.unit,
            limit_min=i.limit_min,
            limit_max=i.limit_max,
            method=i.method,
            passed=i.within_limits(),
        )
        for i in items
    )


def _refuse_duplicate_number(report: TestReport) -> None:
    duplicates = TestReport.objects.filter(lab_id=report.lab_id, report_number=report.report_number)
    if report.pk is not None:
        duplicates = duplicates.exclude(pk=report.pk)
    if duplicates.exists():
        raise _duplicate(report.report_number)


def _duplicate(number: str) -> ProductionError:
    return ProductionError(
        "duplicate_report_number", f"本检测机构已有编号为“{number}”的报告。", status=409
    )


def _validate_and_save(report: TestReport, *, update_fields: list[str] | None = None) -> None:
    if report.kind not in TestKind.values:
        raise ProductionError("invalid_kind", "请选择报告类型。")
    _check_dates(report.sampled_on, report.tested_on)
    _refuse_duplicate_number(report)
    try:
        report.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ProductionError("invalid_report", "；".join(exc.messages)) from exc
    try:
        # A concurrent save of the same number passes the check above; the unique constraint
        # stops it, and the savepoint keeps the transaction usable for the coded error.
        with transaction.atomic():
            report.save(update_fields=update_fields)
    except IntegrityError as exc:
        duplicates = TestReport.objects.filter(
            lab_id=report.lab_id, report_number=report.report_number
        ).exclude(pk=report.pk)
        if duplicates.exists():
            raise _duplicate(report.report_number) from exc
        raise


@transaction.atomic
def test_report_create(
    *,
    actor: User | None,
    lab: Organization,
    kind: str,
    report_number: str,
    product: GIProduct,
    producer: Producer,
    base: ProductionBase | None,
    sample_code: str,
    batch_code: str,
    sampled_on: dt.date,
    tested_on: dt.date,
    notes: str,
    items: Iterable[Mapping[str, Any]],
    upload: UploadedFile | None,
) -> TestReport:
    """Record a report. `items`: {"name", "category", "value", "unit", "limit_min",
    "limit_max", "method"} each; `upload` the report PDF (optional)."""
    if actor is not None:
        if not can_record_tests(actor):
            raise ForbiddenError("只有检测机构和省级管理员可以录入检测报告。")
        if not selectors.report_lab_choices(user=actor).filter(pk=lab.pk).exists():
            raise ProductionError(
                "invalid_lab", "请选择您所在的检测机构（省级管理员可代录任一检测机构）。"
            )
    parsed = parse_items(items)
    _check_sample(
        actor,
        product=product,
        producer=producer,
        base=base,
        changed=frozenset({"product", "producer"}),
    )
    report = TestReport(
        kind=kind,
        lab=lab,
        report_number=_text(report_number, "报告编号", 60, required=True, code="invalid_report"),
        product=product,
        producer=producer,
        base=base,
        sample_code=_text(sample_code, "样品编号", 60, required=True, code="invalid_report"),
        batch_code=_text(batch_code, "批次号", 60, required=False, code="invalid_report"),
        sampled_on=sampled_on,
        tested_on=tested_on,
        notes=(notes or "").strip(),
        recorded_by=actor,
    )
    if upload is not None:
        report.file = _checked_pdf(upload)
    _derive(report, parsed)
    _validate_and_save(report)
    _write_items(report, parsed)
    ledger.append(report)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=report, changes={"after": _snapshot(report)}
    )
    return report


def _lock_for_correction(actor: User | None, report: TestReport) -> TestReport:
    rows = TestReport.objects.select_for_update()
    if actor is not None:
        rows = rows.filter(pk__in=TestReport.objects.restrict(actor).values("pk"))
    locked = rows.filter(pk=report.pk).first()
    if locked is None:
        raise NotFoundError("未找到该检测报告。")
    if actor is not None and not can_correct_report(actor, locked):
        raise ForbiddenError("只有出具该报告的检测机构可以更正报告。")
    return locked


@transaction.atomic
def test_report_update(
    *,
    actor: User | None,
    report: TestReport,
    data: Mapping[str, Any],
    items: Iterable[Mapping[str, Any]] | None,
    upload: UploadedFile | None,
) -> TestReport:
    """Correct a report: `data` holds the fields to change (CORRECTABLE_FIELDS), `items` the
    full new item list (None keeps the items), `upload` a replacement PDF. New items or a new
    product re-derive the result and grade; the previous file is kept in storage."""
    unknown = set(data) - CORRECTABLE_FIELDS
    if unknown:
        raise TypeError(f"not correctable: {sorted(unknown)}")
    report = _lock_for_correction(actor, report)
    before = _snapshot(report)
    changed = frozenset(k for k, v in data.items() if getattr(report, k) != v)
    texts = {"report_number": ("报告编号", True), "sample_code": ("样品编号", True)}
    for name, value in data.items():
        if name in texts:
            label, required = texts[name]
            value = _text(value, label, 60, required=required, code="invalid_report")
        elif name == "batch_code":
            value = _text(value, "批次号", 60, required=False, code="invalid_report")
        elif name == "notes":
            value = (value or "").strip()
        setattr(report, name, value)
    parsed = parse_items(items) if items is not None else None
    if parsed is not None and _item_rows(parsed) == before["items"]:
        # The same items sent back (a page form always sends them): not a correction of the
        # items, so the grade is not re-derived under a scheme that may have changed since.
        parsed = None
    _check_sample(
        actor, product=report.product, producer=report.producer, base=report.base, changed=changed
    )
    if upload is not None:
        report.file = _checked_pdf(upload)
    if parsed is not None or "product" in changed:
        current = parsed if parsed is not None else parse_items(_item_rows(report.items.all()))
        _derive(report, current)
    _validate_and_save(report)
    if parsed is not None:
        _write_items(report, parsed)
    diff = snapshot_diff(before, _snapshot(report))
    if diff["after"]:
        ledger.append(report)
        audit_record(
            actor=actor, action=AuditAction.UPDATE, obj=report, changes=diff, detail="更正检测报告"
        )
    return report
