"""What traceability writes to the verifiable ledger (dibiao/ledger), each in the transaction of
its record:

- trace events with their input and output batches, at recording (no service edits or deletes
  one);
- batches, at release (by `batch_release`, or born released as the output of an event) and at
  recall (each batch a recall reaches). Only the identifying and quantity fields and the
  release and recall facts are logged: the grade follows the linked test reports and the GTIN
  and notes stay editable after release, without a leaf;
- 承诺达标合格证, at issue and at void, with the contact printed on it;
- code issuances, at issue;
- the binding and voiding of code ranges, as events (`trace.code_range`): the segments of an
  issuance are split and merged by every change, so the audit replays the events from the
  issued range and compares the result serial by serial with the segments.

`created_by` and `changed_by` are left out everywhere: deleting a user account sets them null.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.db.models import Q

from dibiao.ledger.types import (
    CHUNK,
    Child,
    EventType,
    Finding,
    LeafRef,
    SnapshotType,
    register,
)
from dibiao.trace.choices import BatchStatus, SegmentState
from dibiao.trace.models import (
    Batch,
    CodeIssuance,
    CodeSegment,
    ComplianceCertificate,
    TraceEvent,
    TraceEventInput,
    TraceEventOutput,
)

TRACE_EVENT = register(
    SnapshotType(
        name="trace.event",
        version=1,
        model=TraceEvent,
        label="追溯事件",
        fields=(
            "stage",
            "occurred_at",
            "producer",
            "source_name",
            "destination_name",
            "destination",
            "place",
            "division",
            "notes",
            "created_at",
        ),
        children=(
            Child("inputs", TraceEventInput, "event", ("batch", "quantity")),
            Child("outputs", TraceEventOutput, "event", ("batch", "quantity")),
        ),
        logged=Q(),
    )
)
BATCH = register(
    SnapshotType(
        name="trace.batch",
        version=1,
        model=Batch,
        label="批次",
        fields=(
            "number",
            "product",
            "producer",
            "base",
            "quantity",
            "unit",
            "harvest_date",
            "status",
            "released_at",
            "recalled_at",
            "recall_reason",
        ),
        # Released at some point (a recalled batch keeps its release time), or recalled
        # before release.
        logged=Q(released_at__isnull=False) | Q(status=BatchStatus.RECALLED),
    )
)
CERTIFICATE = register(
    SnapshotType(
        name="trace.certificate",
        version=1,
        model=ComplianceCertificate,
        label="承诺达标合格证",
        fields=(
            "number",
            "batch",
            "shipment",
            "producer",
            "product_name",
            "quantity",
            "unit",
            "origin",
            "basis",
            "test_report",
            "contact",
            "issued_at",
            "status",
            "void_reason",
            "voided_at",
        ),
        logged=Q(),
    )
)
CODE_ISSUANCE = register(
    SnapshotType(
        name="trace.code_issuance",
        version=1,
        model=CodeIssuance,
        label="标签码发放",
        fields=(
            "number",
            "authorization",
            "producer",
            "product",
            "key_id",
            "first_serial",
            "last_serial",
            "count",
            "created_at",
        ),
        logged=Q(),
    )
)


# --- Code ranges -------------------------------------------------------------------------------

# What a serial is in: (state, batch id, void reason), as `CodeSegment` holds it.
_Key = tuple[str, int | None, str]
_ISSUED: _Key = (SegmentState.ISSUED.value, None, "")
_STATE_LABELS: dict[str, str] = dict(SegmentState.choices)


@dataclass(frozen=True)
class _Piece:
    first: int
    last: int
    key: _Key
    leaf_index: int | None  # the leaf that put the range in this state; None: the issuance


@dataclass(frozen=True)
class _Disagreement:
    first: int
    last: int
    logged: _Key | None  # None: the ledger has no state for these serials (outside the issuance)
    current: tuple[_Key, ...]  # the segments holding them: none, one, or overlapping ones
    leaf_index: int | None


class _Replay:
    """The state of an issuance's serials after a sequence of range events: sorted pieces that
    never overlap. Ranges are usually bound in order, so the change falls near the end and
    the list splice stays cheap."""

    def __init__(self, first: int, last: int) -> None:
        self.pieces: list[_Piece] = [_Piece(first, last, _ISSUED, None)]
        self.starts: list[int] = [first]

    def apply(self, first: int, last: int, key: _Key, leaf_index: int) -> None:
        lo = max(bisect_right(self.starts, first) - 1, 0)
        if lo < len(self.pieces) and self.pieces[lo].last < first:
            lo += 1
        hi = bisect_right(self.starts, last)
        new: list[_Piece] = []
        if lo < hi and self.pieces[lo].first < first:
            old = self.pieces[lo]
            new.append(_Piece(old.first, first - 1, old.key, old.leaf_index))
        new.append(_Piece(first, last, key, leaf_index))
        if lo < hi and self.pieces[hi - 1].last > last:
            old = self.pieces[hi - 1]
            new.append(_Piece(last + 1, old.last, old.key, old.leaf_index))
        self.pieces[lo:hi] = new
        self.starts[lo:hi] = [p.first for p in new]


def _disagreements(
    logged: Sequence[_Piece], current: Sequence[tuple[int, int, _Key]]
) -> list[_Disagreement]:
    """Where the replayed pieces and the segments (sorted by first serial) differ, serial by
    serial: a split of one state into several rows is no difference, a gap or an overlap is."""
    bounds = sorted(
        {p.first for p in logged}
        | {p.last + 1 for p in logged}
        | {s[0] for s in current}
        | {s[1] + 1 for s in current}
    )
    out: list[_Disagreement] = []
    i = j = 0
    active: list[tuple[int, int, _Key]] = []
    for start, stop in pairwise(bounds):
        while i < len(logged) and logged[i].last < start:
            i += 1
        piece = logged[i] if i < len(logged) and logged[i].first <= start else None
        while j < len(current) and current[j][0] <= start:
            active.append(current[j])
            j += 1
        active = [s for s in active if s[1] >= start]
        here = tuple(s[2] for s in active)
        expected = piece.key if piece is not None else None
        if here == ((expected,) if expected is not None else ()):
            continue
        leaf_index = piece.leaf_index if piece is not None else None
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.last + 1 == start
            and (previous.logged, previous.current, previous.leaf_index)
            == (expected, here, leaf_index)
        ):
            out[-1] = _Disagreement(previous.first, stop - 1, expected, here, leaf_index)
        else:
            out.append(_Disagreement(start, stop - 1, expected, here, leaf_index))
    return out


class CodeRangeType(EventType):
    """A range of an issuance bound to a batch (activated) or voided: record id the issuance,
    the record {issuance (its number), first, last, state, batch, reason, at}."""

    name = "trace.code_range"
    version = 1
    model = CodeIssuance
    label = "标签码区段"

    def record(
        self,
        *,
        issuance: CodeIssuance,
        first: int,
        last: int,
        state: str,
        batch_id: int | None,
        reason: str,
        at: dt.datetime,
    ) -> dict[str, Any]:
        return {
            "issuance": issuance.number,
            "first": first,
            "last": last,
            "state": state,
            "batch": batch_id,
            "reason": reason,
            "at": at,
        }

    def check(self, leaves: Sequence[LeafRef]) -> Iterator[Finding]:
        events: dict[int, list[tuple[int, int, int, _Key]]] = defaultdict(list)
        for leaf in leaves:
            parsed = _parse(leaf)
            if parsed is None:
                yield Finding(
                    "bad_leaf",
                    f"第 {leaf.leaf_index} 号叶不是有效的{self.label}事件。",
                    self.name,
                    leaf.record_id,
                    leaf.leaf_index,
                )
            else:
                events[leaf.record_id].append((leaf.leaf_index, *parsed))
        after = 0
        while True:
            issuances = list(
                CodeIssuance.objects.filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", "number", "first_serial", "last_serial")[:CHUNK]
            )
            if not issuances:
                break
            after = issuances[-1][0]
            yield from self._check_chunk(issuances, events)
        for pk, rows in sorted(events.items()):
            yield Finding(
                "orphan_leaf",
                f"{self.label}事件记录的标签码发放 #{pk} 已从数据库中删除"
                f"（账本第 {rows[-1][0]} 号叶）。",
                self.name,
                pk,
                rows[-1][0],
            )

    def _check_chunk(
        self,
        issuances: list[tuple[int, str, int, int]],
        events: dict[int, list[tuple[int, int, int, _Key]]],
    ) -> Iterator[Finding]:
        segments: dict[int, list[tuple[int, int, _Key]]] = defaultdict(list)
        rows = (
            CodeSegment.objects.filter(issuance_id__in=[row[0] for row in issuances])
            .order_by("issuance_id", "first_serial", "pk")
            .values_list(
                "issuance_id", "first_serial", "last_serial", "state", "batch_id", "reason"
            )
        )
        for issuance_id, first, last, state, batch_id, reason in rows.iterator(chunk_size=CHUNK):
            segments[issuance_id].append((first, last, (state, batch_id, reason)))
        found: list[tuple[int, str, bool, _Disagreement]] = []
        for pk, number, first, last in issuances:
            replay = _Replay(first, last)
            logged_events = events.pop(pk, [])
            for leaf_index, start, stop, key in logged_events:
                replay.apply(start, stop, key, leaf_index)
            for item in _disagreements(replay.pieces, segments.get(pk, [])):
                found.append((pk, number, bool(logged_events), item))
        if not found:
            return
        batch_ids = {
            key[1]
            for _, _, _, item in found
            for key in (item.logged, *item.current)
            if key is not None and key[1] is not None
        }
        numbers = dict(Batch._base_manager.filter(pk__in=batch_ids).values_list("pk", "number"))
        for pk, number, has_events, item in found:
            if item.leaf_index is not None:
                source = f"账本第 {item.leaf_index} 号叶"
            elif has_events:
                source = "账本（发放时）"
            else:
                source = "账本（该发放没有激活或作废记录）"
            yield Finding(
                "mismatch",
                f"标签码发放 {number}（#{pk}）的码段 {item.first}–{item.last}："
                f"{source}为{_describe(item.logged, numbers)}，"
                f"数据库为{_describe_current(item.current, numbers)}。",
                self.name,
                pk,
                item.leaf_index,
            )


def _parse(leaf: LeafRef) -> tuple[int, int, _Key] | None:
    try:
        record = json.loads(leaf.data)["record"]
        first, last, state = record["first"], record["last"], record["state"]
        batch, reason = record["batch"], record["reason"]
    except (ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (first, last)):
        return None
    if first > last or state not in SegmentState.values or not isinstance(reason, str):
        return None
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool)):
        return None
    return first, last, (state, batch, reason)


def _describe(key: _Key | None, numbers: Mapping[int, str]) -> str:
    if key is None:
        return "不在发放范围内"
    state, batch_id, reason = key
    if state == SegmentState.ACTIVE and batch_id is not None:
        return f"已激活（绑定批次 {numbers.get(batch_id, f'#{batch_id}')}）"
    if state == SegmentState.VOIDED and reason and batch_id is None:
        return f"已作废（原因“{reason}”）"
    text = _STATE_LABELS.get(state, state)
    if batch_id is not None:
        text += f"，批次 {numbers.get(batch_id, f'#{batch_id}')}"
    if reason:
        text += f"，原因“{reason}”"
    return text


def _describe_current(keys: tuple[_Key, ...], numbers: Mapping[int, str]) -> str:
    if not keys:
        return "没有码段"
    if len(keys) == 1:
        return _describe(keys[0], numbers)
    return "重叠的码段（" + "；".join(_describe(k, numbers) for k in keys) + "）"


CODE_RANGE = CodeRangeType()
register(CODE_RANGE)
