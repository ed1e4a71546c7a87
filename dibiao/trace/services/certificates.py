"""承诺达标合格证 (compliance certificates): issue and void.

A certificate is issued for a batch, or for one shipment of it (a sale or transport event that
takes the batch in), by the batch's producer or by the county bureau on its behalf. It carries
the mandatory content of the rules: the fixed commitment, the basis of the commitment, product
name, quantity, origin, time of issue, the committing producer and its contact; a number
HG{year}{county code}{sequence} and a QR code to its public page. Certificates are never
deleted (no service, page or API deletes one): voiding keeps the row with its reason, and
`keep_until` records the two years the rules ask the issuer to keep them.

Refused: a recalled batch, a batch with a failed linked test, a tested basis without a passing
test report of the batch or its producer, and a quantity beyond what the batch (or the
shipment) still has without a certificate.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.masking import mask_phone
from dibiao.core.models import Division
from dibiao.core.pii import normalise_phone
from dibiao.ledger import services as ledger
from dibiao.producers.choices import ProducerStatus
from dibiao.production.choices import TestResult
from dibiao.production.models import TestReport
from dibiao.trace.choices import BatchStatus, CertificateBasis, CertificateStatus, TraceStage
from dibiao.trace.errors import TraceError
from dibiao.trace.models import Batch, ComplianceCertificate, TraceEvent, TraceEventInput
from dibiao.trace.permissions.certificates import (
    can_issue_certificate_for,
    can_void_certificate_for,
)
from dibiao.trace.services.batches import batch_touch, failed_reasons

# 承诺事项. The commitment printed on every certificate, as worded on the Ministry of Agriculture
# and Rural Affairs' reference template of the 承诺达标合格证 (农业农村部, template in use since
# 2023 and kept by the 《农产品质量安全承诺达标合格证管理办法》, 农业农村部令2025年第4号, in force
# 1 February 2026), which restates 《中华人民共和国农产品质量安全法》(2022年修订) art. 39: the
# producer commits that no banned pesticide or veterinary drug and no other banned compound is
# used and that the residues of the ordinary ones are within limits. Check the wording against
# the Ministry's published template when it changes: these three strings are the only copy.
COMMITMENT_HEADING = "我承诺对产品质量安全以及合格证真实性负责："
COMMITMENT_ITEMS = (
    "不使用禁用农药兽药、停用兽药和非法添加物",
    "常规农药兽药残留不超标",
)
COMMITMENT_SOURCE = (
    "农业农村部承诺达标合格证参考样式；《农产品质量安全承诺达标合格证管理办法》"
    "（农业农村部令2025年第4号）；《中华人民共和国农产品质量安全法》第三十九条"
)
CERTIFICATE_TITLE = "承诺达标合格证"
NUMBER_PREFIX = "HG"
KEEP_YEARS = 2  # the issue's retention; the 2025 measures ask for at least six months
SHIPMENT_STAGES = frozenset({TraceStage.SALE, TraceStage.TRANSPORT})
TESTED_BASES = frozenset({CertificateBasis.SELF_TESTED, CertificateBasis.COMMISSIONED_TEST})
MAX_CONTACT = 50
MAX_REASON = 500
_QUANTITY_PLACES = Decimal("0.001")
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")


# --- What a certificate says ---------------------------------------------------------------------


def public_origin(request: HttpRequest) -> str:
    """The origin public links are made on: DIBIAO_PUBLIC_URL, else the request's own."""
    configured: str = settings.DIBIAO_PUBLIC_URL
    return configured or request.build_absolute_uri("/").rstrip("/")


def certificate_public_path(number: str) -> str:
    return reverse("trace-public:certificate-public", args=[number])


def certificate_public_url(number: str, *, origin: str = "") -> str:
    """The URL in the certificate's QR code: its public page under `origin` (the caller's
    public origin, as for label codes: `codes.scan_url`), else DIBIAO_PUBLIC_URL."""
    base = origin or settings.DIBIAO_PUBLIC_URL
    return f"{base.rstrip('/')}{certificate_public_path(number)}"


def contact_warning(contact: str) -> str:
    """A warning when the contact looks like a personal mobile number: the certificate is
    public (printed on the goods and shown on its page), so a business line is better. Empty
    when the contact looks like a business line."""
    digits = normalise_phone(contact)
    if len(digits) >= 11 and _MOBILE.match(digits):
        return (
            f"联系方式“{mask_phone(digits[-11:])}”像是个人手机号码。合格证会印在产品上并在扫码页面公开，"
            "建议填写单位电话或经营专用号码。"
        )
    return ""


def origin_text(batch: Batch) -> str:
    """产地: the county's full name (province, city, county) and the base (or, for a batch
    merged from several bases, the producer's address)."""
    division: Division = batch.base.division if batch.base is not None else batch.producer.division
    names: list[str] = []
    node: Division | None = division
    while node is not None:
        names.append(node.name)
        node = node.parent
    place = ""
    if batch.base is not None:
        place = batch.base.name + (f"（{batch.base.address}）" if batch.base.address else "")
    elif batch.producer.address:
        place = batch.producer.address
    text = "".join(reversed(names)) + (f" {place}" if place else "")
    return text[:200]


def keep_until_for(issued: dt.date) -> dt.date:
    try:
        return issued.replace(year=issued.year + KEEP_YEARS)
    except ValueError:  # 29 February
        return issued.replace(year=issued.year + KEEP_YEARS, day=28)


def certified_quantity(batch: Batch, *, shipment: TraceEvent | None = None) -> Decimal:
    """What valid certificates of the batch (of one shipment, when given) already cover."""
    rows = ComplianceCertificate.objects.filter(batch=batch, status=CertificateStatus.ISSUED)
    if shipment is not None:
        rows = rows.filter(shipment=shipment)
    total: Decimal | None = rows.aggregate(total=Sum("quantity"))["total"]
    return total or Decimal("0")


def remaining_quantity(batch: Batch) -> Decimal:
    """What of the batch may still get a certificate."""
    return max(batch.quantity - certified_quantity(batch), Decimal("0"))


def report_fits_batch(report: TestReport, batch: Batch) -> bool:
    """A report linked to the batch, or one of the batch's producer and product."""
    if batch.test_reports.filter(pk=report.pk).exists():
        return True
    return report.producer_id == batch.producer_id and report.product_id == batch.product_id


# --- Checks ----------------------------------------------------------------------------------------


def _quantity(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise TraceError("invalid_quantity", "产品数量应为数字。") from None
    if not value.is_finite() or value <= 0:
        raise TraceError("invalid_quantity", "产品数量应大于 0。")
    if value != value.quantize(_QUANTITY_PLACES) or value >= Decimal("1e11"):
        raise TraceError("invalid_quantity", "产品数量最多 11 位整数、3 位小数。")
    return value


def _contact(raw: str) -> str:
    contact = " ".join((raw or "").split())
    if not contact:
        raise TraceError("invalid_contact", "请填写联系方式（将印在合格证上）。")
    if len(contact) > MAX_CONTACT:
        raise TraceError("invalid_contact", f"联系方式不能超过 {MAX_CONTACT} 个字。")
    return contact


def _check_shipment(shipment: TraceEvent, batch: Batch) -> Decimal:
    """The shipment is a sale or transport of this batch by its producer; returns the
    quantity of the batch it carries."""
    if shipment.stage not in SHIPMENT_STAGES or shipment.producer_id != batch.producer_id:
        raise TraceError("invalid_shipment", "出货事件应为该批次经营主体记录的销售或运输环节。")
    carried = (
        TraceEventInput.objects.filter(event=shipment, batch=batch)
        .values_list("quantity", flat=True)
        .first()
    )
    if carried is None:
        raise TraceError("invalid_shipment", "该出货事件不包含这个批次。")
    return carried


def _check_basis(basis: str, report: TestReport | None, batch: Batch) -> None:
    if basis not in CertificateBasis.values:
        raise TraceError("invalid_basis", "请选择承诺依据。")
    if basis in TESTED_BASES and report is None:
        raise TraceError(
            "test_report_required", "以自行检测或委托检测为依据时，须关联该批次的合格检测报告。"
        )
    if report is None:
        return
    if not report_fits_batch(report, batch):
        raise TraceError(
            "invalid_test_report", "检测报告应为该批次或其经营主体同一产品的检测报告。"
        )
    if report.result != TestResult.PASS:
        raise TraceError(
            "test_report_failed", "所选检测报告结论为不合格，不能作为开具依据。", status=409
        )


def _lock_batch(actor: User | None, batch: Batch) -> Batch:
    # The batch row is the lock: two certificates of one batch are checked against its
    # remaining quantity one after the other.
    rows = Batch.objects.select_for_update()
    if actor is not None:
        rows = rows.filter(pk__in=Batch.objects.restrict(actor).values("pk"))
    locked = rows.filter(pk=batch.pk).first()
    if locked is None:
        raise NotFoundError("未找到该批次。")
    return locked


def _next_number(division_id: int, issued: dt.datetime) -> str:
    # Locking the county row serialises numbering per county (PostgreSQL); SQLite serialises
    # every write transaction anyway. The sequence restarts each year.
    county = Division.objects.select_for_update().get(pk=division_id)
    prefix = f"{NUMBER_PREFIX}{timezone.localtime(issued).year}{county.code}"
    last = (
        ComplianceCertificate.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


# --- Services --------------------------------------------------------------------------------------


@transaction.atomic
def certificate_issue(
    *,
    actor: User | None,
    batch: Batch,
    quantity: Decimal | str,
    basis: str,
    contact: str,
    test_report: TestReport | None = None,
    shipment: TraceEvent | None = None,
) -> ComplianceCertificate:
    """Issue a certificate for `batch` (or for `shipment` of it). `actor=None` is a system
    action (demo data)."""
    batch = _lock_batch(actor, batch)
    producer = batch.producer
    if actor is not None and not can_issue_certificate_for(actor, producer):
        raise ForbiddenError("只有该经营主体或其所在县的农业农村部门可以开具合格证。")
    if producer.status != ProducerStatus.ACTIVE:
        raise TraceError(
            "producer_inactive", "该经营主体已暂停或注销，不能开具合格证。", status=409
        )
    if batch.status == BatchStatus.RECALLED:
        raise TraceError("batch_recalled", "该批次已召回，不能开具承诺达标合格证。", status=409)
    failed = failed_reasons(batch)
    if failed:
        raise TraceError(
            "batch_test_failed",
            f"{failed[0]}，不能开具承诺达标合格证。",
            status=409,
        )
    _check_basis(basis, test_report, batch)
    amount = _quantity(quantity)
    contact_text = _contact(contact)
    remaining = remaining_quantity(batch)
    if amount > remaining:
        raise TraceError(
            "quantity_exceeds_remaining",
            f"产品数量超过该批次尚未开具合格证的数量（{remaining.normalize():f} {batch.unit}）。",
            status=409,
        )
    if shipment is not None:
        carried = _check_shipment(shipment, batch)
        left = carried - certified_quantity(batch, shipment=shipment)
        if amount > left:
            raise TraceError(
                "quantity_exceeds_remaining",
                f"产品数量超过该次出货尚未开具合格证的数量（{max(left, Decimal(0)).normalize():f} {batch.unit}）。",
                status=409,
            )
    issued = timezone.now()
    certificate = ComplianceCertificate.objects.create(
        number=_next_number(producer.division_id, issued),
        batch=batch,
        shipment=shipment,
        producer=producer,
        product_name=batch.product.name,
        quantity=amount,
        unit=batch.unit,
        origin=origin_text(batch),
        basis=basis,
        test_report=test_report,
        contact=contact_text,
        issued_at=issued,
        keep_until=keep_until_for(timezone.localtime(issued).date()),
        created_by=actor,
    )
    ledger.append(certificate)
    batch_touch(batch=batch)  # the scan page shows the batch's certificates
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=certificate,
        changes={"after": model_snapshot(certificate)},
        detail=f"开具承诺达标合格证（批次 {batch.number}）",
    )
    return certificate


@transaction.atomic
def certificate_void(
    *, actor: User | None, certificate: ComplianceCertificate, reason: str
) -> ComplianceCertificate:
    """Void a certificate with a reason; the row stays (and its public page says 已作废)."""
    rows = ComplianceCertificate.objects.select_for_update()
    if actor is not None:
        rows = rows.filter(pk__in=ComplianceCertificate.objects.restrict(actor).values("pk"))
    locked = rows.filter(pk=certificate.pk).first()
    if locked is None:
        raise NotFoundError("未找到该合格证。")
    if actor is not None and not can_void_certificate_for(actor, locked.producer):
        raise ForbiddenError("只有该经营主体或其所在县的农业农村部门可以作废合格证。")
    text = " ".join((reason or "").split())
    if not text:
        raise TraceError("reason_required", "请填写作废原因。")
    if len(text) > MAX_REASON:
        raise TraceError("reason_required", f"作废原因不能超过 {MAX_REASON} 个字。")
    if locked.status == CertificateStatus.VOIDED:
        raise TraceError("already_voided", "该合格证已作废。", status=409)
    before = model_snapshot(locked)
    locked.status = CertificateStatus.VOIDED
    locked.void_reason = text
    locked.voided_at = timezone.now()
    locked.save(update_fields=["status", "void_reason", "voided_at"])
    ledger.append(locked)
    batch_touch(batch=locked.batch)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=locked,
        changes=snapshot_diff(before, model_snapshot(locked)),
        detail=f"作废承诺达标合格证：{text}",
    )
    return locked
