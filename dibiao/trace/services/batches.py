"""Batches (批次): made from harvest logs, linked to test reports, released, recalled.

open → released → recalled, and open → recalled. Each transition locks the batch row, checks
the transition and the actor's right, writes the audit row in the same transaction and raises
a coded `TraceError` otherwise (409 for a refused state change).

- A batch is made from done harvest logs of one producer and one product, each log in one batch
  only. Its quantity is at most the logs' total (same unit), its harvest date the latest log's
  day, its base the logs' base when they share one.
- Its number is `{product id:03d}-{yyyymmdd}-{seq:03d}`, allocated while the product row is
  locked, so two batches of a product and day never get the same number.
- Its grade is the best-ranked grade among its passing linked test reports.
- Release is refused while a linked report (of the batch or of a batch it was made from) failed,
  or the production app knows a failed report naming the batch number or a linked sample.
- A recall needs a reason and recalls every batch made from this one, downstream.

`batch_touch` bumps `Batch.version` (and that of every batch made from it, whose scan page shows
this one's facts) whenever what a scan shows changes: the scan facts are cached per version.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.identifiers import validate_gtin
from dibiao.ledger import services as ledger
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.models import Producer
from dibiao.production.choices import LogKind, LogStatus, TestResult
from dibiao.production.models import GradeStandard, ProductionLog, TestReport
from dibiao.production.selectors import sample_has_failed_test
from dibiao.registry.models import GIProduct
from dibiao.trace.choices import BatchStatus
from dibiao.trace.errors import TraceError
from dibiao.trace.lineage import RecallRecipient, downstream_ids, recall_recipients, upstream_ids
from dibiao.trace.models import Batch
from dibiao.trace.permissions.batches import can_act_for, can_keep_batches, can_manage_batch

MAX_LOGS = 200
MAX_REPORTS = 50
MAX_QUANTITY = Decimal("99999999999.999")
_NOT_AUDITED = frozenset({"version"})


# --- Version ---------------------------------------------------------------------------------


def batches_touch(*, batch_ids: Iterable[int]) -> None:
    """Bump the version of these batches (one UPDATE); the caller knows which are affected."""
    ids = sorted(set(batch_ids))
    if ids:
        Batch.objects.filter(pk__in=ids).update(version=F("version") + 1)


def batch_touch(*, batch: Batch) -> None:
    """What a scan of `batch` shows has changed: bump its version and that of the batches made
    from it (their trace shows this one). The in-memory `batch.version` is refreshed too, so a
    later save of it cannot write an old version back."""
    batches_touch(batch_ids=[batch.pk, *downstream_ids(batch)])
    batch.version = Batch.objects.values_list("version", flat=True).get(pk=batch.pk)


# --- Helpers shared with the event services ---------------------------------------------------


def batch_number_allocate(*, product: GIProduct, day: dt.date) -> str:
    """The next batch number of a product and day. Locks the product row until the caller's
    transaction ends, so a concurrent allocation waits and then sees this batch."""
    GIProduct.objects.select_for_update().filter(pk=product.pk).first()
    prefix = f"{product.pk:03d}-{day:%Y%m%d}-"
    used = Batch.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(n[len(prefix) :]) for n in used if n[len(prefix) :].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def quantity_text(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def check_quantity(value: Decimal, label: str = "数量") -> Decimal:
    if not value.is_finite() or value <= 0:
        raise TraceError("invalid_quantity", f"{label}应大于 0。")
    if value > MAX_QUANTITY or value != value.quantize(Decimal("0.001")):
        raise TraceError("invalid_quantity", f"{label}最多 11 位整数、3 位小数。")
    return value


def clean_gtin(value: str) -> str:
    """A GTIN (商品条码) as digits, its GS1 check digit verified; blank stays blank."""
    gtin = "".join(value.split())
    if not gtin:
        return ""
    try:
        validate_gtin(gtin)
    except ValidationError as exc:
        raise TraceError("invalid_gtin", exc.messages[0]) from exc
    return gtin


def require_keeper(actor: User | None) -> None:
    if actor is not None and not can_keep_batches(actor):
        raise ForbiddenError("只有生产经营主体和县级管理员可以登记批次和追溯事件。")


def require_act_for(actor: User | None, producer: Producer) -> None:
    if actor is not None and not can_act_for(actor, producer):
        raise ForbiddenError("只能为本主体（县级管理员：本县主体）登记批次和追溯事件。")


def lock_batches(actor: User | None, ids: Iterable[int]) -> dict[int, Batch]:
    """Lock batches in id order (so two writers never wait on each other in opposite orders)
    and re-read them; one the actor cannot see is not found."""
    wanted = sorted(set(ids))
    rows = Batch.objects.select_for_update(of=("self",)).select_related("producer", "product")
    if actor is not None:
        rows = rows.filter(pk__in=Batch.objects.restrict(actor).values("pk"))
    locked = {b.pk: b for b in rows.filter(pk__in=wanted).order_by("pk")}
    if len(locked) != len(wanted):
        raise NotFoundError("未找到该批次。")
    return locked


def _lock_managed(actor: User | None, batch: Batch) -> Batch:
    locked = lock_batches(actor, [batch.pk])[batch.pk]
    if actor is not None and not can_manage_batch(actor, locked):
        raise ForbiddenError("只有该批次的生产经营主体或所在县的县级管理员可以操作。")
    return locked


def _snapshot(batch: Batch) -> dict[str, object]:
    return model_snapshot(batch, exclude=_NOT_AUDITED)


def _best_grade(batch: Batch) -> GradeStandard | None:
    passing = batch.test_reports.filter(result=TestResult.PASS, grade__isnull=False)
    report = passing.select_related("grade").order_by("grade__rank", "pk").first()
    return report.grade if report is not None else None


def _transition_error(batch: Batch, target: str) -> TraceError:
    return TraceError(
        "invalid_transition",
        f"批次 {batch.number} 当前为“{batch.get_status_display()}”，不能{target}。",
        status=409,
    )


# --- Create ----------------------------------------------------------------------------------


def _lock_logs(actor: User | None, logs: Sequence[ProductionLog]) -> list[ProductionLog]:
    ids = sorted({log.pk for log in logs})
    if not ids:
        raise TraceError("harvest_logs_required", "请至少选择一条采收记录。")
    if len(ids) > MAX_LOGS:
        raise TraceError("too_many_logs", f"一个批次最多由 {MAX_LOGS} 条采收记录组成。")
    rows = ProductionLog.objects.select_for_update(of=("self",)).select_related(
        "base__producer", "product"
    )
    if actor is not None:
        rows = rows.filter(pk__in=ProductionLog.objects.restrict(actor).values("pk"))
    locked = list(rows.filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise TraceError("harvest_log_not_found", "所选采收记录不存在或不在您的数据范围内。")
    return locked


def _check_logs(logs: list[ProductionLog]) -> tuple[Producer, GIProduct, str]:
    for log in logs:
        where = f"记录“{log.title}”（{log.day:%Y-%m-%d}）"
        if log.kind != LogKind.HARVEST:
            raise TraceError("not_harvest_log", f"{where}不是采收记录。")
        if log.status != LogStatus.DONE:
            raise TraceError("harvest_not_done", f"{where}尚未完成（计划中的采收不能组批）。")
        if log.quantity is None or log.quantity <= 0:
            raise TraceError("harvest_quantity_missing", f"{where}没有填写采收数量。")
    if len({log.base.producer_id for log in logs}) > 1:
        raise TraceError("mixed_producers", "一个批次只能包含同一生产经营主体的采收记录。")
    if len({log.product_id for log in logs}) > 1:
        raise TraceError("mixed_products", "一个批次只能包含同一产品的采收记录。")
    units = {" ".join(log.unit.split()) for log in logs}
    if len(units) > 1 or units == {""}:
        raise TraceError(
            "mixed_units", "所选采收记录的数量单位不一致或未填写单位，无法合并为一个批次。"
        )
    taken = (
        ProductionLog.objects.filter(pk__in=[log.pk for log in logs], batches__isnull=False)
        .values_list("batches__number", flat=True)
        .first()
    )
    if taken is not None:
        raise TraceError(
            "harvest_log_in_batch", f"所选采收记录已组入批次 {taken}，不能重复组批。", status=409
        )
    return logs[0].base.producer, logs[0].product, units.pop()


@transaction.atomic
def batch_create(
    *,
    actor: User | None,
    harvest_logs: Sequence[ProductionLog],
    quantity: Decimal | None = None,
    gtin: str = "",
    notes: str = "",
    reports: Sequence[TestReport] = (),
) -> Batch:
    """A batch from done harvest logs of one producer and one product (see the module doc)."""
    require_keeper(actor)
    logs = _lock_logs(actor, harvest_logs)
    producer, product, unit = _check_logs(logs)
    require_act_for(actor, producer)
    if producer.status != ProducerStatus.ACTIVE:
        raise TraceError("producer_inactive", f"主体“{producer.name}”已暂停或注销，不能组批。")
    total = sum((log.quantity or Decimal(0) for log in logs), Decimal(0))
    amount = check_quantity(total if quantity is None else quantity, "批次数量")
    if amount > total:
        raise TraceError(
            "quantity_exceeds_harvest",
            f"批次数量不能超过所选采收记录的合计 {quantity_text(total)} {unit}。",
        )
    gtin = clean_gtin(gtin)
    bases = {log.base_id for log in logs}
    harvest_date = max(log.day for log in logs)
    batch = Batch.objects.create(
        number=batch_number_allocate(product=product, day=harvest_date),
        product=product,
        producer=producer,
        base=logs[0].base if len(bases) == 1 else None,
        quantity=amount,
        unit=unit,
        harvest_date=harvest_date,
        gtin=gtin,
        notes=notes.strip()[:2000],
        created_by=actor,
    )
    batch.harvest_logs.set(logs)
    if reports:
        _link(batch, list(reports))
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=batch,
        changes={"after": _snapshot(batch)},
        detail=f"由 {len(logs)} 条采收记录组批",
    )
    return batch


@transaction.atomic
def batch_update(*, actor: User | None, batch: Batch, gtin: str, notes: str) -> Batch:
    """Change the GTIN and notes of a batch that is not recalled."""
    locked = _lock_managed(actor, batch)
    if locked.status == BatchStatus.RECALLED:
        raise _transition_error(locked, "修改")
    before = _snapshot(locked)
    locked.gtin = clean_gtin(gtin)
    locked.notes = notes.strip()[:2000]
    changes = snapshot_diff(before, _snapshot(locked))
    if changes["before"] or changes["after"]:
        locked.save(update_fields=["gtin", "notes"])
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=locked, changes=changes)
        batch_touch(batch=locked)
    return locked


# --- Test reports ----------------------------------------------------------------------------


def _link(batch: Batch, reports: list[TestReport]) -> list[TestReport]:
    if len(reports) > MAX_REPORTS:
        raise TraceError("too_many_reports", f"一次最多关联 {MAX_REPORTS} 份检测报告。")
    for report in reports:
        if report.producer_id != batch.producer_id or report.product_id != batch.product_id:
            raise TraceError(
                "report_mismatch",
                f"检测报告 {report.report_number} 不是该批次主体和产品的报告，不能关联。",
            )
    linked = set(batch.test_reports.values_list("pk", flat=True))
    added = [r for r in {r.pk: r for r in reports}.values() if r.pk not in linked]
    if added:
        batch.test_reports.add(*added)
        batch.grade = _best_grade(batch)
        batch.save(update_fields=["grade"])
    return added


def reports_by_code(*, batch: Batch, codes: Iterable[str]) -> list[TestReport]:
    """The batch producer's reports of its product whose sample code or batch code is one of
    `codes`; a code naming no report is refused."""
    found: list[TestReport] = []
    for raw in codes:
        code = raw.strip()
        if not code:
            continue
        rows = list(
            TestReport.objects.filter(producer_id=batch.producer_id, product_id=batch.product_id)
            .filter(Q(sample_code=code) | Q(batch_code=code))
            .order_by("pk")
        )
        if not rows:
            raise TraceError(
                "report_not_found", f"该主体该产品没有样品编号或批次号为“{code[:60]}”的检测报告。"
            )
        found.extend(rows)
    return found


@transaction.atomic
def batch_reports_link(
    *,
    actor: User | None,
    batch: Batch,
    reports: Sequence[TestReport] = (),
    codes: Sequence[str] = (),
) -> list[TestReport]:
    """Link test reports of the batch's producer and product (chosen, or found by sample or
    batch code); the grade follows. Returns the reports newly linked."""
    locked = _lock_managed(actor, batch)
    chosen = [*reports, *reports_by_code(batch=locked, codes=codes)]
    if not chosen:
        raise TraceError("reports_required", "请选择检测报告或填写样品编号、批次号。")
    before = _snapshot(locked)
    added = _link(locked, chosen)
    if added:
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=locked,
            changes=snapshot_diff(before, _snapshot(locked)),
            detail="关联检测报告 " + "、".join(r.report_number for r in added),
        )
        batch_touch(batch=locked)
    return added


# --- Release and recall ----------------------------------------------------------------------


def failed_reasons(batch: Batch) -> list[str]:
    """Why the batch may not be released: failed reports linked to it or to a batch it was made
    from, or known to the production app under its number or a linked sample code."""
    chain = [batch, *Batch.objects.filter(pk__in=upstream_ids(batch)).select_related("producer")]
    reasons: list[str] = []
    for item in chain:
        failed = item.test_reports.filter(result=TestResult.FAIL).order_by("pk")
        reasons.extend(
            f"批次 {item.number} 关联的检测报告 {r.report_number} 不合格" for r in failed
        )
        samples = set(item.test_reports.values_list("sample_code", flat=True))
        if sample_has_failed_test(producer=item.producer, batch_code=item.number) or any(
            sample_has_failed_test(producer=item.producer, sample_code=code) for code in samples
        ):
            reasons.append(f"批次 {item.number} 或其样品有不合格检测记录")
    return list(dict.fromkeys(reasons))


@transaction.atomic
def batch_release(*, actor: User | None, batch: Batch) -> Batch:
    """open → released (放行), refused while a test failed."""
    locked = _lock_managed(actor, batch)
    if locked.status != BatchStatus.OPEN:
        raise _transition_error(locked, "放行")
    reasons = failed_reasons(locked)
    if reasons:
        raise TraceError(
            "batch_failed_test", "检测不合格的批次不能放行：" + "；".join(reasons[:5]), status=409
        )
    before = _snapshot(locked)
    locked.status = BatchStatus.RELEASED
    locked.released_at = timezone.now()
    locked.save(update_fields=["status", "released_at"])
    ledger.append(locked)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=locked,
        changes=snapshot_diff(before, _snapshot(locked)),
        detail="放行",
    )
    batch_touch(batch=locked)
    return locked


@dataclass(frozen=True)
class RecallResult:
    batch: Batch
    cascaded: list[Batch]  # the batches made from it, recalled with it (not those already)
    recipients: list[RecallRecipient]


def _lock_lineage(actor: User | None, batch: Batch) -> tuple[Batch, list[Batch]]:
    """Lock the batch and everything made from it in id order (the batch's producer cannot
    change, so the right is checked first). An event committed between the walk and the lock
    may have made a new batch: walk again until nothing new turns up."""
    if actor is not None:
        if not Batch.objects.restrict(actor).filter(pk=batch.pk).exists():
            raise NotFoundError("未找到该批次。")
        if not can_manage_batch(actor, batch):
            raise ForbiddenError("只有该批次的生产经营主体或所在县的县级管理员可以召回。")
    locked: dict[int, Batch] = {}
    wanted = {batch.pk, *downstream_ids(batch)}
    while not wanted <= locked.keys():
        # The batches downstream are locked whoever holds them: a recall follows the goods.
        locked.update(lock_batches(None, wanted - locked.keys()))
        wanted = {batch.pk, *downstream_ids(batch)}
    head = locked[batch.pk]
    return head, [locked[pk] for pk in sorted(wanted - {head.pk})]


@transaction.atomic
def batch_recall(*, actor: User | None, batch: Batch, reason: str) -> RecallResult:
    """open or released → recalled (召回), with a reason; what was made from the batch is
    recalled with it. Returns the cascaded batches and who received what."""
    reason = " ".join(reason.split())
    if not reason:
        raise TraceError("reason_required", "召回须填写原因。")
    if len(reason) > 500:
        raise TraceError("reason_too_long", "召回原因不能超过 500 个字。")
    head, below = _lock_lineage(actor, batch)
    if head.status == BatchStatus.RECALLED:
        raise _transition_error(head, "再次召回")
    now = timezone.now()
    cascaded: list[Batch] = []
    for item in [head, *below]:
        if item.status == BatchStatus.RECALLED:
            continue
        before = _snapshot(item)
        item.status = BatchStatus.RECALLED
        item.recalled_at = now
        item.recall_reason = reason if item is head else f"上游批次 {head.number} 召回：{reason}"
        item.save(update_fields=["status", "recalled_at", "recall_reason"])
        audit_record(
            actor=actor,
            action=AuditAction.TRANSITION,
            obj=item,
            changes=snapshot_diff(before, _snapshot(item)),
            detail="召回" if item is head else f"随上游批次 {head.number} 召回",
        )
        if item is not head:
            cascaded.append(item)
    ledger.append_many(Batch, [head.pk, *(b.pk for b in cascaded)])
    batches_touch(batch_ids=[head.pk, *upstream_ids(head), *(b.pk for b in below)])
    head.refresh_from_db(fields=["version"])
    return RecallResult(batch=head, cascaded=cascaded, recipients=recall_recipients(head))
