"""Lineage of a batch (批次追溯): where it came from and where it went.

A batch is made from harvest logs, or by a trace event from other batches (a split makes
several outputs from one input, a merge one output from several inputs). Upstream walks from
a batch to the events that produced it and on to their inputs; downstream walks from a batch to
the events that consumed it and on to their outputs. Both walks go level by level (one query a
level), never visit a batch twice (so a cycle, which the services never create, cannot loop)
and stop after `MAX_DEPTH` levels.

These functions are not scoped to a user: a batch's trace is what its label shows to anyone.
They hold no personal data (no operator, contact or notes), only entity and base names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypedDict

from django.db.models import Q
from django.utils import timezone

from dibiao.production.choices import LogKind, LogStatus
from dibiao.production.models import ProductionLog
from dibiao.trace.choices import TraceStage
from dibiao.trace.models import Batch, TraceEvent, TraceEventInput, TraceEventOutput

MAX_DEPTH = 64
# Input logs count for a harvest when they fall after the previous harvest of the same base and
# product, and at most this long before it (a perennial crop's first recorded harvest).
INPUT_WINDOW = dt.timedelta(days=365)
# An event with inputs and no outputs at one of these stages means the batch was moved or
# stored and goes on as it is; at any other stage its quantity left the batch.
CONTINUING_STAGES = frozenset({TraceStage.STORAGE, TraceStage.TRANSPORT})
HARVEST_LABEL = "采收"


def _walk(start: int, step: Callable[[set[int]], Iterable[int]]) -> list[int]:
    """Batch ids reachable from `start` by `step`, nearest first; `start` itself excluded."""
    seen = {start}
    frontier = {start}
    order: list[int] = []
    for _ in range(MAX_DEPTH):
        found = set(step(frontier)) - seen
        if not found:
            break
        order.extend(sorted(found))
        seen |= found
        frontier = found
    return order


def _sources_of(ids: set[int]) -> Iterable[int]:
    return TraceEventInput.objects.filter(event__outputs__batch_id__in=ids).values_list(
        "batch_id", flat=True
    )


def _products_of(ids: set[int]) -> Iterable[int]:
    return TraceEventOutput.objects.filter(event__inputs__batch_id__in=ids).values_list(
        "batch_id", flat=True
    )


def upstream_ids(batch: Batch) -> list[int]:
    return _walk(batch.pk, _sources_of)


def downstream_ids(batch: Batch) -> list[int]:
    return _walk(batch.pk, _products_of)


def _batches(ids: list[int]) -> list[Batch]:
    rows = Batch.objects.filter(pk__in=ids).select_related("product", "producer", "base", "grade")
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in ids if pk in by_id]


def batch_upstream(batch: Batch) -> list[Batch]:
    """Every batch this one was made from, recursively through trace events, nearest first."""
    return _batches(upstream_ids(batch))


def batch_downstream(batch: Batch) -> list[Batch]:
    """Every batch made from this one, recursively through trace events, nearest first."""
    return _batches(downstream_ids(batch))


# --- Origins --------------------------------------------------------------------------------


class BaseOrigin(TypedDict):
    id: int
    name: str
    kind: str
    producer: str
    division: str
    address: str
    area_mu: str
    longitude: str | None
    latitude: str | None


class HarvestOrigin(TypedDict):
    id: int
    date: str
    base_id: int
    base: str
    title: str
    quantity: str | None
    unit: str


class InputOrigin(TypedDict):
    id: int
    date: str
    base_id: int
    base: str
    category: str
    name: str
    active_ingredient: str
    registration_number: str
    dose: str
    safety_interval_days: int | None
    harvest_allowed_from: str | None


class Origins(TypedDict):
    bases: list[BaseOrigin]
    harvests: list[HarvestOrigin]
    inputs: list[InputOrigin]


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _harvest_logs(batch_ids: list[int]) -> list[ProductionLog]:
    return list(
        ProductionLog.objects.filter(batches__in=batch_ids)
        .distinct()
        .select_related("base__producer", "base__division")
        .order_by("occurred_at", "pk")
    )


def _input_condition(harvest: ProductionLog) -> Q:
    previous = (
        ProductionLog.objects.filter(
            kind=LogKind.HARVEST,
            status=LogStatus.DONE,
            base_id=harvest.base_id,
            product_id=harvest.product_id,
            occurred_at__lt=harvest.occurred_at,
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    start = harvest.occurred_at - INPUT_WINDOW
    if previous is not None and previous > start:
        start = previous
    return Q(
        base_id=harvest.base_id,
        product_id=harvest.product_id,
        occurred_at__gt=start,
        occurred_at__lte=harvest.occurred_at,
    )


def _day(value: dt.datetime) -> str:
    return timezone.localtime(value).date().isoformat()


def batch_origins(batch: Batch) -> Origins:
    """The bases and the harvest logs behind the batch and its upstream batches, and the input
    logs (投入品: name, date, pre-harvest interval) of each harvest's growing period: after the
    previous harvest of the same base and product, within a year. JSON-able (cacheable)."""
    harvests = _harvest_logs([batch.pk, *upstream_ids(batch)])
    bases: dict[int, BaseOrigin] = {}
    for log in harvests:
        base = log.base
        bases.setdefault(
            base.pk,
            {
                "id": base.pk,
                "name": base.name,
                "kind": str(base.get_kind_display()),
                "producer": base.producer.name,
                "division": base.division.name,
                "address": base.address,
                "area_mu": _text(base.area_mu) or "",
                "longitude": _text(base.longitude),
                "latitude": _text(base.latitude),
            },
        )
    inputs: list[InputOrigin] = []
    if harvests:
        condition = Q(pk__in=[])
        for log in harvests:
            condition |= _input_condition(log)
        rows = (
            ProductionLog.objects.filter(condition, kind=LogKind.INPUT, status=LogStatus.DONE)
            .select_related("base")
            .order_by("occurred_at", "pk")
        )
        inputs = [
            {
                "id": log.pk,
                "date": _day(log.occurred_at),
                "base_id": log.base_id,
                "base": log.base.name,
                "category": str(log.get_input_category_display()),
                "name": log.input_name,
                "active_ingredient": log.active_ingredient,
                "registration_number": log.registration_number,
                "dose": log.dose,
                "safety_interval_days": log.safety_interval_days,
                "harvest_allowed_from": (
                    log.harvest_allowed_from.isoformat() if log.harvest_allowed_from else None
                ),
            }
            for log in rows
        ]
    return {
        "bases": list(bases.values()),
        "harvests": [
            {
                "id": log.pk,
                "date": _day(log.occurred_at),
                "base_id": log.base_id,
                "base": log.base.name,
                "title": log.title,
                "quantity": _text(log.quantity),
                "unit": log.unit,
            }
            for log in harvests
        ],
        "inputs": inputs,
    }


# --- Timeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a batch's trace as the scan page shows it. `who` is an entity's name (never
    a person's contact); `stage_code` is "harvest" or a TraceStage value."""

    when: dt.datetime
    stage: str
    who: str
    place: str
    description: str
    stage_code: str = ""
    event_id: int | None = None


def _quantity(value: Decimal, unit: str) -> str:
    return f"{_text(value)} {unit}".strip()


def _event_description(event: TraceEvent) -> str:
    parts: list[str] = []
    inputs = [
        f"{row.batch.number}（{_quantity(row.quantity, row.batch.unit)}）"
        for row in event.inputs.all()
    ]
    outputs = [
        f"{row.batch.number}（{_quantity(row.quantity, row.batch.unit)}）"
        for row in event.outputs.all()
    ]
    if inputs:
        parts.append("投入批次 " + "、".join(inputs))
    if outputs:
        parts.append("产出批次 " + "、".join(outputs))
    if event.source_name:
        parts.append(f"来源：{event.source_name}")
    counterpart = (
        event.destination.name if event.destination is not None else event.destination_name
    )
    if counterpart:
        parts.append(f"去向：{counterpart}")
    return "；".join(parts)


def _events_for(batch: Batch, chain: list[int], down: list[int]) -> list[TraceEvent]:
    """The events of the batch's story: those that made it or its sources, what happened to
    it and to what was made from it, and the storage and transport of its sources. What else
    happened to a source (a part sold elsewhere) is another batch's story."""
    own = [batch.pk, *down]
    condition = (
        Q(outputs__batch_id__in=[*chain, *down])
        | Q(inputs__batch_id__in=own)
        | Q(inputs__batch_id__in=chain, outputs__isnull=True, stage__in=CONTINUING_STAGES)
    )
    ids = TraceEvent.objects.filter(condition).values("pk")
    return list(
        TraceEvent.objects.filter(pk__in=ids)
        .select_related("producer", "destination", "division")
        .prefetch_related("inputs__batch", "outputs__batch")
        .order_by("occurred_at", "pk")
    )


def batch_timeline(batch: Batch) -> list[TimelineEntry]:
    """The harvest first, then the trace events up- and downstream, in time order."""
    up = upstream_ids(batch)
    down = downstream_ids(batch)
    chain = [batch.pk, *up]
    entries: list[TimelineEntry] = []
    for log in _harvest_logs(chain):
        amount = f"，{_quantity(log.quantity, log.unit)}" if log.quantity is not None else ""
        entries.append(
            TimelineEntry(
                when=log.occurred_at,
                stage=HARVEST_LABEL,
                who=log.base.producer.name,
                place=f"{log.base.division.name} · {log.base.name}",
                description=f"{log.title}{amount}",
                stage_code="harvest",
            )
        )
    for event in _events_for(batch, chain, down):
        place = event.place or (event.division.name if event.division is not None else "")
        entries.append(
            TimelineEntry(
                when=event.occurred_at,
                stage=str(event.get_stage_display()),
                who=event.producer.name,
                place=place,
                description=_event_description(event),
                stage_code=event.stage,
                event_id=event.pk,
            )
        )
    harvest_count = sum(1 for e in entries if e.stage_code == "harvest")
    return entries[:harvest_count] + sorted(
        entries[harvest_count:], key=lambda e: (e.when, e.event_id or 0)
    )


# --- Recall recipients ----------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientItem:
    batch_id: int
    number: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class RecallRecipient:
    """Who received what from a batch or from what was made of it: the destination of an
    event downstream (a directory entry when `producer_id` is set, else a free-text name)."""

    name: str
    producer_id: int | None
    event_id: int
    stage: str
    when: dt.datetime
    items: tuple[RecipientItem, ...]


def recall_recipients(batch: Batch) -> list[RecallRecipient]:
    """Every destination of the batch and of the batches made from it, with the batch numbers
    and quantities each received: the outputs it got, or (for a shipment that made no new
    batch) the quantities of the affected batches that went to it. In time order."""
    affected = [batch.pk, *downstream_ids(batch)]
    affected_set = set(affected)
    ids = TraceEvent.objects.filter(inputs__batch_id__in=affected).values("pk")
    events = (
        TraceEvent.objects.filter(pk__in=ids)
        .filter(Q(destination__isnull=False) | ~Q(destination_name=""))
        .select_related("destination")
        .prefetch_related("inputs__batch", "outputs__batch")
        .order_by("occurred_at", "pk")
    )
    recipients: list[RecallRecipient] = []
    for event in events:
        items = tuple(
            RecipientItem(row.batch_id, row.batch.number, row.quantity, row.batch.unit)
            for row in event.outputs.all()
        ) or tuple(
            RecipientItem(row.batch_id, row.batch.number, row.quantity, row.batch.unit)
            for row in event.inputs.all()
            if row.batch_id in affected_set
        )
        recipients.append(
            RecallRecipient(
                name=event.destination.name if event.destination else event.destination_name,
                producer_id=event.destination_id,
                event_id=event.pk,
                stage=str(event.get_stage_display()),
                when=event.occurred_at,
                items=items,
            )
        )
    return recipients
