"""Media reports (媒体报道): record, edit, and import from Excel (the spec: brand/imports.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand.imports import MediaReportImport
from dibiao.brand.models import MediaReport
from dibiao.brand.permissions import can_record_brand
from dibiao.brand.services.common import (
    apply,
    audit_create,
    check_date,
    check_product,
    full_clean,
    lock,
    require,
    save_update,
)
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.producers.imports import ImportReport, run_import

REPORT_FIELDS = ("product", "outlet", "level", "published_on", "title", "link", "notes")
WRITE_DENIED = "只有省级、市级和县级管理员可以登记媒体报道。"


def _validate(actor: User | None, report: MediaReport, *, product_changed: bool) -> None:
    # The product is checked against the actor's choices only when set or changed, so that an
    # older report of a product cancelled since can still be corrected.
    if product_changed:
        check_product(actor, getattr(report, "product", None))
    check_date(report.published_on, "发布日期", code="published_on")
    full_clean(report, code="invalid_report")


@transaction.atomic
def report_create(*, actor: User | None, data: Mapping[str, Any]) -> MediaReport:
    """Record a report; `data` holds REPORT_FIELDS."""
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    report = MediaReport(recorded_by=actor, created_at=timezone.now())
    apply(report, data, REPORT_FIELDS)
    _validate(actor, report, product_changed=True)
    report.updated_at = report.created_at
    report.save()
    audit_create(actor, report)
    return report


@transaction.atomic
def report_update(
    *, actor: User | None, report: MediaReport, data: Mapping[str, Any]
) -> MediaReport:
    """Change the fields in `data`."""
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    report = lock(actor, MediaReport, report.pk, "未找到该媒体报道。")
    before = model_snapshot(report)
    product_changed = (
        "product" in data and getattr(data["product"], "pk", None) != report.product_id
    )
    apply(report, data, REPORT_FIELDS)
    _validate(actor, report, product_changed=product_changed)
    save_update(actor, report, before)
    return report


@transaction.atomic
def report_import(*, actor: User | None, upload: object, only_valid: bool = False) -> ImportReport:
    """Import media reports in one transaction: all rows or none, or with `only_valid` the
    valid ones. One audit row with the counts, as the directory import writes."""
    if actor is not None:
        require(can_record_brand(actor), "只有省级、市级和县级管理员可以导入媒体报道。")
    report = run_import(spec=MediaReportImport(actor), upload=upload, only_valid=only_valid)
    audit_record(
        actor=actor,
        action=AuditAction.IMPORT,
        object_type=MediaReport._meta.label_lower,
        changes={"total": report.total, "imported": report.imported, "invalid": report.invalid},
        detail=(
            f"导入媒体报道：共 {report.total} 行，导入 {report.imported} 行，有误 {report.invalid} 行"
        ),
    )
    return report
