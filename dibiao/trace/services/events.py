"""Trace events (追溯事件): 收购, 储存, 运输, 加工, 销售 after the harvest.

An event is recorded by (or, by its county bureau, for) the entity that holds its input
batches. Each input takes a quantity out of its batch, never more than is left of it (its
quantity less what earlier events took out); the input rows are locked first, so two events
cannot both take the last of a batch. Outputs are new batches: a split makes several from one
input, a merge one from several. Rules kept simple and the same everywhere:

- An output batch belongs to the event's destination when that is a directory entry (the goods
  changed hands), else to the recording entity. It inherits the product, the common base, the
  latest harvest date, a common grade and GTIN, and is released when every input was.
- An event with inputs and no outputs: at 储存 / 运输 the batch was stored or moved and goes on
  as it is (nothing taken out); at 收购 / 销售 the quantity left to the destination (a shipment);
  加工 always makes an output.
- 收购 and 销售 name a destination; outputs of a stage other than 加工 keep the inputs' unit
  and never add up to more than went in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.ledger import services as ledger
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.models import Producer
from dibiao.trace.choices import BatchStatus, TraceStage
from dibiao.trace.errors import TraceError
from dibiao.trace.lineage import downstream_ids, upstream_ids
from dibiao.trace.models import Batch, TraceEvent, TraceEventInput, TraceEventOutput
from dibiao.trace.selectors.batches import consumed_by_batch
from dibiao.trace.services.batches import (
    batch_number_allocate,
    batches_touch,
    check_quantity,
    lock_batches,
    quantity_text,
    require_act_for,
    require_keeper,
)

MAX_LINES = 50
CLOCK_SKEW = dt.timedelta(minutes=10)
EARLIEST_YEAR = 2000
DESTINATION_STAGES = frozenset({TraceStage.PURCHASE, TraceStage.SALE})
_T = TypeVar("_T")


@dataclass(frozen=True)
class InputLine:
    batch: Batch
    quantity: Decimal


@dataclass(frozen=True)
class OutputLine:
    quantity: Decimal
    unit: str = ""


def _text(value: str, label: str, max_length: int) -> str:
    text = " ".join(value.split())
    if len(text) > max_length:
        raise TraceError("text_too_long", f"{label}不能超过 {max_length} 个字。")
    return text


def _check_time(occurred_at: dt.datetime) -> None:
    if timezone.is_naive(occurred_at):
        raise TraceError("invalid_time", "请填写带时区的时间。")
    if occurred_at.year < EARLIEST_YEAR:
        raise TraceError("invalid_time", f"时间不能早于 {EARLIEST_YEAR} 年。")
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise TraceError("event_in_future", "追溯事件的时间不能晚于现在。")


def _check_lines(inputs: Sequence[InputLine], outputs: Sequence[OutputLine]) -> None:
    if not inputs:
        raise TraceError("inputs_required", "请至少填写一个投入批次。")
    if len(inputs) > MAX_LINES or len(outputs) > MAX_LINES:
        raise TraceError("too_many_lines", f"投入批次和产出批次各不超过 {MAX_LINES} 个。")
    if len({line.batch.pk for line in inputs}) != len(inputs):
        raise TraceError("duplicate_input", "同一批次不能重复投入。")
    for line in inputs:
        check_quantity(line.quantity, f"批次 {line.batch.number} 的投入数量")
    for n, output in enumerate(outputs, start=1):
        check_quantity(output.quantity, f"第 {n} 个产出批次的数量")


def _check_counterpart(
    stage: str, producer: Producer, destination: Producer | None, destination_name: str
) -> None:
    if destination is not None:
        if destination.pk == producer.pk:
            raise TraceError("destination_is_self", "去向主体不能是记录主体本身。")
        if destination.status != ProducerStatus.ACTIVE:
            raise TraceError("destination_inactive", f"去向主体“{destination.name}”已暂停或注销。")
    if stage in DESTINATION_STAGES and destination is None and not destination_name:
        raise TraceError("destination_required", "收购和销售须填写去向（名录内主体或名称）。")


def _check_inputs(
    producer: Producer,
    occurred_at: dt.datetime,
    inputs: Sequence[InputLine],
    locked: dict[int, Batch],
) -> None:
    day = timezone.localtime(occurred_at).date()
    consumed = consumed_by_batch(list(locked))
    made_at = dict(
        TraceEventOutput.objects.filter(batch_id__in=list(locked)).values_list(
            "batch_id", "event__occurred_at"
        )
    )
    for line in inputs:
        batch = locked[line.batch.pk]
        if batch.producer_id != producer.pk:
            raise TraceError(
                "input_not_held", f"批次 {batch.number} 不属于“{producer.name}”，不能由其投入。"
            )
        if batch.status == BatchStatus.RECALLED:
            raise TraceError(
                "batch_recalled", f"批次 {batch.number} 已召回，不能再流转。", status=409
            )
        if day < batch.harvest_date or (batch.pk in made_at and occurred_at < made_at[batch.pk]):
            raise TraceError("event_before_batch", f"事件时间早于批次 {batch.number} 的形成时间。")
        left = batch.quantity - consumed.get(batch.pk, Decimal(0))
        if line.quantity > left:
            raise TraceError(
                "over_consumption",
                f"批次 {batch.number} 剩余 {quantity_text(left)} {batch.unit}，"
                f"不能投入 {quantity_text(line.quantity)} {batch.unit}。",
                status=409,
            )
    if len({b.product_id for b in locked.values()}) > 1:
        raise TraceError("mixed_products", "一个追溯事件的投入批次须为同一产品。")


def _output_units(
    stage: str, inputs: Sequence[InputLine], outputs: Sequence[OutputLine], locked: dict[int, Batch]
) -> list[str]:
    in_units = {locked[line.batch.pk].unit for line in inputs}
    common = in_units.pop() if len(in_units) == 1 else ""
    units = [" ".join(o.unit.split())[:20] or common for o in outputs]
    if any(not unit for unit in units):
        raise TraceError("output_unit_required", "投入批次单位不一致，请填写产出批次的单位。")
    if stage != TraceStage.PROCESSING and outputs:
        if not common or any(unit != common for unit in units):
            raise TraceError("mixed_units", "除加工外，产出批次须与投入批次使用相同单位。")
        if sum(o.quantity for o in outputs) > sum(line.quantity for line in inputs):
            raise TraceError("output_exceeds_input", "产出批次的数量合计不能超过投入数量合计。")
    return units


def _common(values: list[_T]) -> _T | None:
    return values[0] if values and all(v == values[0] for v in values) else None


def _make_outputs(
    event: TraceEvent,
    owner: Producer,
    sources: list[Batch],
    outputs: Sequence[OutputLine],
    units: list[str],
    actor: User | None,
) -> list[Batch]:
    released = all(b.status == BatchStatus.RELEASED for b in sources)
    made: list[Batch] = []
    day = timezone.localtime(event.occurred_at).date()
    for output, unit in zip(outputs, units, strict=True):
        batch = Batch.objects.create(
            number=batch_number_allocate(product=sources[0].product, day=day),
            product=sources[0].product,
            producer=owner,
            base=_common([b.base for b in sources]),
            quantity=output.quantity,
            unit=unit,
            harvest_date=max(b.harvest_date for b in sources),
            grade=_common([b.grade for b in sources]),
            gtin=_common([b.gtin for b in sources]) or "",
            status=BatchStatus.RELEASED if released else BatchStatus.OPEN,
            released_at=timezone.now() if released else None,
            created_by=actor,
        )
        TraceEventOutput.objects.create(event=event, batch=batch, quantity=output.quantity)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=batch,
            changes={"after": model_snapshot(batch, exclude=frozenset({"version"}))},
            detail=f"由追溯事件 #{event.pk}（{event.get_stage_display()}）产出",
        )
        made.append(batch)
    return made


@transaction.atomic
def event_record(
    *,
    actor: User | None,
    producer: Producer,
    stage: str,
    occurred_at: dt.datetime,
    inputs: Sequence[InputLine],
    outputs: Sequence[OutputLine] = (),
    destination: Producer | None = None,
    destination_name: str = "",
    source_name: str = "",
    place: str = "",
    notes: str = "",
) -> TraceEvent:
    """Record a trace event with its input and output batches (see the module doc)."""
    require_keeper(actor)
    if stage not in TraceStage.values:
        raise TraceError("invalid_stage", "请选择追溯环节。")
    require_act_for(actor, producer)
    if producer.status != ProducerStatus.ACTIVE:
        raise TraceError("producer_inactive", f"主体“{producer.name}”已暂停或注销。")
    _check_time(occurred_at)
    _check_lines(inputs, outputs)
    if stage == TraceStage.PROCESSING and not outputs:
        raise TraceError("outputs_required", "加工须填写产出批次。")
    destination_name = _text(destination.name if destination else destination_name, "去向方", 100)
    _check_counterpart(stage, producer, destination, destination_name)
    locked = lock_batches(actor, [line.batch.pk for line in inputs])
    _check_inputs(producer, occurred_at, inputs, locked)
    units = _output_units(stage, inputs, outputs, locked)
    event = TraceEvent.objects.create(
        stage=stage,
        occurred_at=occurred_at,
        producer=producer,
        source_name=_text(source_name, "来源方", 100),
        destination_name=destination_name,
        destination=destination,
        place=_text(place, "地点", 200),
        division=producer.division,
        notes=notes.strip()[:2000],
        created_by=actor,
    )
    TraceEventInput.objects.bulk_create(
        TraceEventInput(event=event, batch=locked[line.batch.pk], quantity=line.quantity)
        for line in inputs
    )
    sources = [locked[line.batch.pk] for line in inputs]
    made = _make_outputs(event, destination or producer, sources, outputs, units, actor)
    # Outputs of released inputs are born released, so their release is logged here.
    ledger.append_many(Batch, [b.pk for b in made if b.released_at is not None])
    ledger.append(event)
    summary = "；".join(
        [
            "投入 "
            + "、".join(
                f"{b.number} {quantity_text(i.quantity)}"
                for b, i in zip(sources, inputs, strict=True)
            ),
            *(["产出 " + "、".join(b.number for b in made)] if made else []),
        ]
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=event,
        changes={"after": model_snapshot(event)},
        detail=f"{event.get_stage_display()}：{summary}",
    )
    affected = {b.pk for b in made}
    for batch in sources:
        affected |= {batch.pk, *upstream_ids(batch), *downstream_ids(batch)}
    batches_touch(batch_ids=affected)
    return event
