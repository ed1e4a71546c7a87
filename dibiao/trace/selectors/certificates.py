"""Reads for 承诺达标合格证 and the trace exports, always from the scoping helper (another
scope's certificate or batch is not found); the public certificate page and the GS1 Digital
Link resolver are the two public reads."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dibiao.core.errors import NotFoundError
from dibiao.core.params import MAX_ID
from dibiao.production.choices import TestResult
from dibiao.production.models import TestReport
from dibiao.trace.choices import BatchStatus, CertificateStatus
from dibiao.trace.models import Batch, ComplianceCertificate, TraceEvent

SHIPMENT_STAGE_VALUES = ("sale", "transport")


def certificate_list_for_user(
    *, user: Any, q: str = "", status: str = "", batch_id: int | None = None
) -> QuerySet[ComplianceCertificate]:
    rows = ComplianceCertificate.objects.restrict(user).select_related(
        "batch", "producer", "shipment"
    )
    if q:
        rows = rows.filter(
            Q(number__icontains=q)
            | Q(batch__number__icontains=q)
            | Q(product_name__icontains=q)
            | Q(producer__name__icontains=q)
        )
    if status in CertificateStatus.values:
        rows = rows.filter(status=status)
    if batch_id is not None:
        rows = rows.filter(batch_id=batch_id)
    return rows.order_by("-issued_at", "-id")


def certificate_get_for_user(*, user: Any, pk: int) -> ComplianceCertificate:
    certificate = (
        ComplianceCertificate.objects.restrict(user)
        .select_related(
            "batch__product",
            "producer__division",
            "shipment",
            "test_report__lab",
            "created_by",
        )
        .filter(pk=pk)
        .first()
        if 0 < pk <= MAX_ID
        else None
    )
    if certificate is None:
        raise NotFoundError("未找到该合格证，或它不在您的数据范围内。")
    return certificate


def certificate_get_public(*, number: str) -> ComplianceCertificate:
    """The public page of a certificate (its content is printed on the goods anyway)."""
    certificate = (
        ComplianceCertificate.objects.select_related("batch", "producer", "test_report__lab")
        .filter(number=number.strip().upper())
        .first()
    )
    if certificate is None:
        raise NotFoundError("未找到该合格证。")
    return certificate


def certificate_batch_choices(*, user: Any) -> QuerySet[Batch]:
    """Batches a certificate may be issued for: in scope and not recalled (the service also
    checks the issuer's right and the batch's tests)."""
    return (
        Batch.objects.restrict(user)
        .exclude(status=BatchStatus.RECALLED)
        .select_related("product", "producer")
        .order_by("-harvest_date", "-id")
    )


def certificate_shipment_choices(*, batch: Batch) -> QuerySet[TraceEvent]:
    """Sales and transports of the batch by its own producer."""
    return TraceEvent.objects.filter(
        stage__in=SHIPMENT_STAGE_VALUES, producer_id=batch.producer_id, inputs__batch=batch
    ).order_by("-occurred_at", "-id")


def certificate_report_choices(*, batch: Batch) -> QuerySet[TestReport]:
    """Passing reports of the batch, or of its producer and product."""
    return (
        TestReport.objects.filter(result=TestResult.PASS)
        .filter(Q(batches=batch) | Q(producer_id=batch.producer_id, product_id=batch.product_id))
        .select_related("lab")
        .distinct()
        .order_by("-tested_on", "-id")
    )


def certificates_of_batch_public(*, batch: Batch) -> QuerySet[ComplianceCertificate]:
    """The certificates a public batch page lists (voided ones too, marked as such)."""
    return ComplianceCertificate.objects.filter(batch=batch).order_by("-issued_at", "-id")


# --- Exports -------------------------------------------------------------------------------------


def export_batch_list_for_user(*, user: Any, q: str = "") -> QuerySet[Batch]:
    rows = Batch.objects.restrict(user).select_related("product", "producer")
    if q:
        rows = rows.filter(
            Q(number__icontains=q) | Q(product__name__icontains=q) | Q(producer__name__icontains=q)
        )
    return rows.order_by("-harvest_date", "-id")


def export_batch_get_for_user(*, user: Any, pk: int) -> Batch:
    batch = (
        Batch.objects.restrict(user)
        .select_related("product", "producer__division", "base__division", "grade")
        .filter(pk=pk)
        .first()
        if 0 < pk <= MAX_ID
        else None
    )
    if batch is None:
        raise NotFoundError("未找到该批次，或它不在您的数据范围内。")
    return batch


def batch_get_by_digital_link(*, gtin14: str, lot: str) -> Batch:
    """The batch a GS1 Digital Link names: its GTIN (stored as GTIN-8/12/13/14; the link
    carries 14 digits) and its number as the lot (AI 10)."""
    forms = [gtin14[-n:] for n in (8, 12, 13, 14) if set(gtin14[:-n]) <= {"0"}]
    batch = (
        Batch.objects.select_related("product", "producer__division", "base__division", "grade")
        .filter(gtin__in=forms, number=lot)
        .first()
    )
    if batch is None:
        raise NotFoundError("未找到该商品批次。")
    return batch
