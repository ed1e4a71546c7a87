"""Label codes (一物一码): issuing serial ranges to an authorized entity, binding (activating)
ranges to batches, voiding ranges. No row per label: an issuance is one row, its states are a
few `CodeSegment` rows that never overlap and always cover it.

Locking order: authorization → serial counter (issuing); issuance → segments → batch (binding
and voiding). Issuing locks the authorization row, so two issuances under one agreement cannot
both pass the quantity check, and then the one `SerialCounter` row, so two issuances never get
overlapping serials. Binding and voiding lock the issuance row, so the segments of an issuance
are rewritten by one transaction at a time.

Each bind and void is also an event in the verifiable ledger (`trace.code_range`, see
dibiao/trace/ledger.py), from which the audit rebuilds the segments.

`actor=None` is the system (the demo loader): it skips the right checks only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError
from dibiao.ledger import services as ledger
from dibiao.producers.authorization_selectors import producer_may_receive_codes
from dibiao.producers.models import LabelAuthorization
from dibiao.trace import codes
from dibiao.trace.choices import BatchStatus, SegmentState
from dibiao.trace.errors import TraceError
from dibiao.trace.ledger import CODE_RANGE
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, SerialCounter
from dibiao.trace.permissions.codes import can_bind_codes, can_issue_codes, can_void_codes
from dibiao.trace.selectors.codes import authorization_quota
from dibiao.trace.services.alerts import over_labelling_check
from dibiao.trace.services.batches import batch_touch, batches_touch

# The most codes one issuance may hold (a typo with extra zeros is refused, and one range
# stays printable as one job).
MAX_ISSUANCE_COUNT = 10_000_000
REASON_MAX_LENGTH = 200  # CodeSegment.reason
NUMBER_PREFIX = "LC"


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def _whole(value: object, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TraceError("invalid_range", f"{label}应为整数。")
    return value


# --- Issuance ----------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    # Called under the serial-counter lock, so two issuances never compute the same number.
    prefix = f"{NUMBER_PREFIX}-{year}-"
    last = (
        CodeIssuance.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def _allocate_serials(count: int) -> int:
    """The first serial of `count` fresh ones. The counter row is created on first use; its
    lock serialises all issuances of the deployment (a short transaction each)."""
    SerialCounter.objects.get_or_create(pk=1)
    counter = SerialCounter.objects.select_for_update().get(pk=1)
    first = counter.next_serial
    if first + count - 1 > codes.MAX_SERIAL:
        raise TraceError(
            "serials_exhausted", "本系统的标签序号已用尽，请联系系统管理员。", status=409
        )
    counter.next_serial = first + count
    counter.save(update_fields=["next_serial"])
    return first


@transaction.atomic
def issuance_create(
    *, actor: User | None, authorization: LabelAuthorization, count: int
) -> CodeIssuance:
    """Issue `count` codes to the authorized entity: one contiguous serial range, all in state
    issued (not yet activated)."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TraceError("invalid_count", "发放数量应为整数。")
    if not 1 <= count <= MAX_ISSUANCE_COUNT:
        raise TraceError("invalid_count", f"发放数量应在 1 至 {MAX_ISSUANCE_COUNT:,} 枚之间。")
    authorization = (
        LabelAuthorization.objects.select_for_update(of=("self",))
        .select_related("producer", "product")
        .get(pk=authorization.pk)
    )
    if actor is not None:
        _require(
            can_issue_codes(actor, authorization),
            "只有被授权主体或其所在县的县级管理员可以发放标签码。",
        )
    today = timezone.localdate()
    producer, product = authorization.producer, authorization.product
    if not authorization.is_valid_on(today):
        raise TraceError(
            "authorization_not_valid",
            f"标志使用授权“{authorization.number or authorization.pk}”今日无效"
            f"（{authorization.get_status_display()}），不能发放标签码。",
            status=409,
        )
    if not producer_may_receive_codes(producer=producer, product=product, on=today):
        raise TraceError(
            "producer_not_eligible",
            f"“{producer.name}”当前不能领取“{product.name}”的标签码（主体未在正常经营或产品未登记）。",
            status=409,
        )
    quota = authorization_quota(authorization=authorization)
    authorized, issued = quota.authorized, quota.issued
    if issued + count > authorized:
        raise TraceError(
            "over_authorized_quantity",
            f"超出授权数量：授权 {authorized:,} 枚，已发放 {issued:,} 枚，"
            f"剩余 {max(authorized - issued, 0):,} 枚，本次申请 {count:,} 枚。",
            status=409,
        )
    first = _allocate_serials(count)
    issuance = CodeIssuance.objects.create(
        number=_next_number(today.year),
        authorization=authorization,
        producer=producer,
        product=product,
        key_id=codes.current_key_id(),
        first_serial=first,
        last_serial=first + count - 1,
        count=count,
        created_by=actor,
    )
    CodeSegment.objects.create(
        issuance=issuance,
        first_serial=issuance.first_serial,
        last_serial=issuance.last_serial,
        state=SegmentState.ISSUED,
        changed_by=actor,
    )
    ledger.append(issuance)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=issuance,
        changes={"after": model_snapshot(issuance)},
        detail=f"发放标签码 {count:,} 枚（序号 {first}–{issuance.last_serial}），"
        f"授权已发放 {issued + count:,} / {authorized:,} 枚",
    )
    return issuance


# --- Segments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    first: int
    last: int
    state: str
    batch_id: int | None
    reason: str
    changed_at: dt.datetime
    changed_by_id: int | None

    @classmethod
    def of(cls, segment: CodeSegment) -> _Piece:
        return cls(
            segment.first_serial,
            segment.last_serial,
            segment.state,
            segment.batch_id,
            segment.reason,
            segment.changed_at,
            segment.changed_by_id,
        )

    def joins(self, other: _Piece) -> bool:
        return self.last + 1 == other.first and (self.state, self.batch_id, self.reason) == (
            other.state,
            other.batch_id,
            other.reason,
        )


def _merged(pieces: Iterable[_Piece]) -> list[_Piece]:
    """Adjacent pieces in the same state (same batch, same reason) become one, so an issuance
    bound batch by batch in consecutive ranges keeps a few rows."""
    out: list[_Piece] = []
    for piece in sorted(pieces, key=lambda p: p.first):
        if out and out[-1].joins(piece):
            previous = out[-1]
            latest = piece if piece.changed_at >= previous.changed_at else previous
            out[-1] = replace(latest, first=previous.first, last=piece.last)
        else:
            out.append(piece)
    return out


def check_range(issuance: CodeIssuance, first: object, last: object) -> tuple[int, int]:
    """[first, last] as whole serials within the issuance (the label jobs check theirs here
    too), else a coded 400."""
    first_serial = _whole(first, "起始序号")
    last_serial = _whole(last, "结束序号")
    if first_serial > last_serial:
        raise TraceError("invalid_range", "起始序号不能大于结束序号。")
    if first_serial < issuance.first_serial or last_serial > issuance.last_serial:
        raise TraceError(
            "range_outside_issuance",
            f"序号范围应在发放“{issuance.number}”的 {issuance.first_serial}–"
            f"{issuance.last_serial} 之内。",
        )
    return first_serial, last_serial


def _rewrite(
    issuance: CodeIssuance,
    first: int,
    last: int,
    *,
    new: _Piece,
    allowed_from: frozenset[str],
    verb: str,
) -> tuple[list[CodeSegment], list[CodeSegment]]:
    """Put [first, last] of the (locked) issuance into the state of `new`: the segments it
    overlaps are split, neighbours in the same state are merged. Returns (the segments it
    overlapped before, the segments covering it now)."""
    rows = list(
        CodeSegment.objects.select_for_update()
        .filter(issuance=issuance, first_serial__lte=last + 1, last_serial__gte=first - 1)
        .order_by("first_serial")
    )
    overlapped = [r for r in rows if r.first_serial <= last and r.last_serial >= first]
    for row in overlapped:
        if row.state not in allowed_from:
            low, high = max(row.first_serial, first), min(row.last_serial, last)
            raise TraceError(
                "range_conflict",
                f"序号 {low}–{high} {SegmentState(row.state).label}，不能{verb}。",
                status=409,
            )
    pieces = [new]
    for row in rows:
        piece = _Piece.of(row)
        if row.last_serial < first or row.first_serial > last:
            pieces.append(piece)  # a neighbour, kept whole (or merged)
            continue
        if row.first_serial < first:
            pieces.append(replace(piece, last=first - 1))
        if row.last_serial > last:
            pieces.append(replace(piece, first=last + 1))
    wanted = _merged(pieces)
    # Rows that come out unchanged stay; the others are replaced. Deleting before creating
    # keeps `first_serial` unique at every statement.
    existing = {_Piece.of(r): r for r in rows}
    kept = {p for p in wanted if p in existing}
    CodeSegment.objects.filter(pk__in=[r.pk for p, r in existing.items() if p not in kept]).delete()
    created = CodeSegment.objects.bulk_create(
        CodeSegment(
            issuance=issuance,
            first_serial=p.first,
            last_serial=p.last,
            state=p.state,
            batch_id=p.batch_id,
            reason=p.reason,
            changed_at=p.changed_at,
            changed_by_id=p.changed_by_id,
        )
        for p in wanted
        if p not in kept
    )
    now = [existing[p] for p in kept] + list(created)
    covering = sorted(
        (s for s in now if s.first_serial <= last and s.last_serial >= first),
        key=lambda s: s.first_serial,
    )
    return overlapped, covering


def _log_range(issuance: CodeIssuance, piece: _Piece) -> None:
    """The range's new state as a ledger event: the audit replays these over the issued range
    and compares the result with the segments, which `_rewrite` splits and merges."""
    ledger.append_event(
        CODE_RANGE.name,
        issuance.pk,
        CODE_RANGE.record(
            issuance=issuance,
            first=piece.first,
            last=piece.last,
            state=piece.state,
            batch_id=piece.batch_id,
            reason=piece.reason,
            at=piece.changed_at,
        ),
    )


def _lock_issuance(issuance: CodeIssuance) -> CodeIssuance:
    return (
        CodeIssuance.objects.select_for_update(of=("self",))
        .select_related("producer", "product", "authorization__producer")
        .get(pk=issuance.pk)
    )


def _serials_by_state(segments: Iterable[CodeSegment], first: int, last: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in segments:
        n = min(s.last_serial, last) - max(s.first_serial, first) + 1
        counts[s.state] = counts.get(s.state, 0) + n
    return counts


@transaction.atomic
def codes_bind(
    *,
    actor: User | None,
    issuance: CodeIssuance,
    first_serial: int,
    last_serial: int,
    batch: Batch,
) -> list[CodeSegment]:
    """Activate [first_serial, last_serial] of the issuance: its codes now show the batch. The
    range must be wholly issued (not active, not voided); the batch must be the entity's own,
    of the same product, and not recalled."""
    issuance = _lock_issuance(issuance)
    if actor is not None:
        _require(can_bind_codes(actor, issuance), "只有被授权主体可以绑定（激活）标签码。")
    first, last = check_range(issuance, first_serial, last_serial)
    batch = Batch.objects.select_for_update().get(pk=batch.pk)
    if batch.producer_id != issuance.producer_id or batch.product_id != issuance.product_id:
        raise TraceError(
            "batch_mismatch",
            f"批次“{batch.number}”不属于“{issuance.producer.name}”的“{issuance.product.name}”，"
            "只能绑定到同一主体、同一产品的批次。",
        )
    if batch.status == BatchStatus.RECALLED:
        raise TraceError(
            "batch_recalled", f"批次“{batch.number}”已召回，不能再绑定标签码。", status=409
        )
    now = timezone.now()
    new = _Piece(first, last, SegmentState.ACTIVE, batch.pk, "", now, actor.pk if actor else None)
    _, covering = _rewrite(
        issuance, first, last, new=new, allowed_from=frozenset({SegmentState.ISSUED}), verb="绑定"
    )
    _log_range(issuance, new)
    batch_touch(batch=batch)
    # More labels on the batch than its quantity can carry is flagged (not refused).
    over_labelling_check(authorization=issuance.authorization)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=issuance,
        changes={
            "before": {"state": SegmentState.ISSUED, "range": [first, last]},
            "after": {"state": SegmentState.ACTIVE, "range": [first, last], "batch": batch.pk},
        },
        detail=f"绑定（激活）序号 {first}–{last}（{last - first + 1:,} 枚）到批次 {batch.number}",
    )
    return covering


@transaction.atomic
def codes_void(
    *,
    actor: User | None,
    issuance: CodeIssuance,
    first_serial: int,
    last_serial: int,
    reason: str,
) -> list[CodeSegment]:
    """Void [first_serial, last_serial] (issued or active codes: lost, damaged or misprinted
    labels); a scan then shows 已作废. Voiding is final."""
    issuance = _lock_issuance(issuance)
    if actor is not None:
        _require(
            can_void_codes(actor, issuance),
            "只有被授权主体或其所在县的县级管理员可以作废标签码。",
        )
    first, last = check_range(issuance, first_serial, last_serial)
    text = (reason or "").strip()
    if not text:
        raise TraceError("reason_required", "请填写作废原因。")
    if len(text) > REASON_MAX_LENGTH:
        raise TraceError("reason_required", f"作废原因不能超过 {REASON_MAX_LENGTH} 个字。")
    now = timezone.now()
    new = _Piece(first, last, SegmentState.VOIDED, None, text, now, actor.pk if actor else None)
    overlapped, covering = _rewrite(
        issuance,
        first,
        last,
        new=new,
        allowed_from=frozenset({SegmentState.ISSUED, SegmentState.ACTIVE}),
        verb="作废",
    )
    _log_range(issuance, new)
    batch_ids = sorted({s.batch_id for s in overlapped if s.batch_id is not None})
    batches_touch(batch_ids=batch_ids)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=issuance,
        changes={
            "before": {
                "range": [first, last],
                "serials": _serials_by_state(overlapped, first, last),
                "batches": batch_ids[:100],
            },
            "after": {"state": SegmentState.VOIDED, "range": [first, last], "reason": text},
        },
        detail=f"作废序号 {first}–{last}（{last - first + 1:,} 枚）：{text}",
    )
    return covering
