"""Reads of batches and trace events, always from `restrict(user)`.

Who sees a batch: its producer, the governments above the producer's county (scoping), and
whoever sees an event the batch went into or came out of. Who sees an event: its recording
producer and the governments above it (scoping), the destination producer (scoping, through
`destination__organization`) and the governments above the destination's county. So a
receiving producer sees what it received and the trace of it, and another county nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from dibiao.accounts.scoping import scope_for
from dibiao.core.errors import NotFoundError
from dibiao.core.params import MAX_ID
from dibiao.producers.choices import ProducerStatus
from dibiao.producers.models import Producer
from dibiao.production.choices import LogKind, LogStatus
from dibiao.production.models import ProductionLog, TestReport
from dibiao.registry.models import GIProduct
from dibiao.trace.choices import BatchStatus
from dibiao.trace.lineage import CONTINUING_STAGES
from dibiao.trace.models import Batch, TraceEvent, TraceEventInput, TraceEventOutput

_QUANTITY = DecimalField(max_digits=14, decimal_places=3)
_ZERO = Value(Decimal(0), output_field=_QUANTITY)


@dataclass(frozen=True)
class BatchFilters:
    q: str = ""
    product: int | None = None
    status: str = ""
    producer: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class EventFilters:
    q: str = ""
    stage: str = ""
    batch: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


# --- Quantities ------------------------------------------------------------------------------


def consuming_inputs() -> QuerySet[TraceEventInput]:
    """Input rows that took quantity out of their batch: all but those of a storage or transport
    event that made no new batch (the batch was moved or stored and goes on as it is)."""
    has_output = Exists(TraceEventOutput.objects.filter(event_id=OuterRef("event_id")))
    return TraceEventInput.objects.annotate(has_output=has_output).filter(
        Q(has_output=True) | ~Q(event__stage__in=CONTINUING_STAGES)
    )


def consumed_by_batch(batch_ids: list[int]) -> dict[int, Decimal]:
    rows = (
        consuming_inputs()
        .filter(batch_id__in=batch_ids)
        .values("batch_id")
        .annotate(total=Sum("quantity"))
        .values_list("batch_id", "total")
    )
    return {batch_id: total or Decimal(0) for batch_id, total in rows}


def with_remaining(rows: QuerySet[Batch]) -> QuerySet[Batch]:
    """Annotates `remaining`: the quantity less what events have taken out of it."""
    taken = (
        consuming_inputs()
        .filter(batch_id=OuterRef("pk"))
        .values("batch_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return rows.annotate(
        remaining=ExpressionWrapper(
            F("quantity") - Coalesce(Subquery(taken), _ZERO), output_field=_QUANTITY
        )
    )


def batch_remaining(*, batch: Batch) -> Decimal:
    """What is left of the batch: its quantity less what events have taken out of it."""
    return batch.quantity - consumed_by_batch([batch.pk]).get(batch.pk, Decimal(0))


# --- Batches ---------------------------------------------------------------------------------


def _visible_events(user: Any) -> QuerySet[TraceEvent]:
    condition = Q(pk__in=TraceEvent.objects.restrict(user).values("pk"))
    divisions = scope_for(user).division_ids
    if divisions:
        condition |= Q(destination__division__in=divisions)
    return TraceEvent.objects.filter(condition)


def _visible_batches(user: Any) -> QuerySet[Batch]:
    events = _visible_events(user).values("pk")
    condition = (
        Q(pk__in=Batch.objects.restrict(user).values("pk"))
        | Q(pk__in=TraceEventInput.objects.filter(event__in=events).values("batch_id"))
        | Q(pk__in=TraceEventOutput.objects.filter(event__in=events).values("batch_id"))
    )
    return Batch.objects.filter(condition)


def batch_list_for_user(*, user: Any, filters: BatchFilters | None = None) -> QuerySet[Batch]:
    filters = filters or BatchFilters()
    rows = _visible_batches(user).select_related("product", "producer__division", "base", "grade")
    q = filters.q.strip()
    if q:
        rows = rows.filter(
            Q(number__icontains=q)
            | Q(producer__name__icontains=q)
            | Q(gtin=q)
            | Q(base__name__icontains=q)
        )
    if filters.product is not None:
        rows = rows.filter(product_id=filters.product)
    if filters.status in BatchStatus.values:
        rows = rows.filter(status=filters.status)
    if filters.producer is not None:
        rows = rows.filter(producer_id=filters.producer)
    if filters.date_from is not None:
        rows = rows.filter(harvest_date__gte=filters.date_from)
    if filters.date_to is not None:
        rows = rows.filter(harvest_date__lte=filters.date_to)
    return rows.order_by("-harvest_date", "-id")


def batch_get_for_user(*, user: Any, pk: int) -> Batch:
    if not 0 < pk <= MAX_ID:
        raise NotFoundError("未找到该批次。")
    batch = (
        _visible_batches(user)
        .select_related("product", "producer__division", "base", "grade", "created_by")
        .filter(pk=pk)
        .first()
    )
    if batch is None:
        raise NotFoundError("未找到该批次。")
    return batch


def batch_visible_ids(*, user: Any, ids: list[int]) -> set[int]:
    """Which of these batches the user may open (the lineage lists link only to those)."""
    return set(_visible_batches(user).filter(pk__in=ids).values_list("pk", flat=True))


def batch_filter_options(*, user: Any) -> dict[str, Any]:
    visible = _visible_batches(user)
    products = GIProduct.objects.filter(pk__in=visible.values("product_id")).order_by("name")
    return {"products": list(products), "statuses": BatchStatus.choices}


def batch_reports(*, batch: Batch) -> QuerySet[TestReport]:
    return batch.test_reports.select_related("lab", "grade").order_by("-tested_on", "-pk")


def batch_report_choices(*, batch: Batch) -> QuerySet[TestReport]:
    """Reports that may be linked: the batch producer's reports of its product, not yet linked."""
    return (
        TestReport.objects.filter(producer_id=batch.producer_id, product_id=batch.product_id)
        .exclude(batches=batch)
        .select_related("lab", "grade")
        .order_by("-tested_on", "-pk")
    )


def harvest_log_choices(*, user: Any) -> QuerySet[ProductionLog]:
    """Done harvest logs with a quantity, in the user's scope, not yet in a batch."""
    return (
        ProductionLog.objects.restrict(user)
        .filter(kind=LogKind.HARVEST, status=LogStatus.DONE, quantity__gt=0, batches__isnull=True)
        .select_related("base__producer", "product")
        .order_by("base__producer__name", "product__name", "-occurred_at", "-pk")
    )


# --- Events ----------------------------------------------------------------------------------


def event_list_for_user(*, user: Any, filters: EventFilters | None = None) -> QuerySet[TraceEvent]:
    filters = filters or EventFilters()
    rows = _visible_events(user).select_related("producer", "destination", "division")
    q = filters.q.strip()
    if q:
        batches = Batch.objects.filter(number__icontains=q).values("pk")
        rows = rows.filter(
            Q(producer__name__icontains=q)
            | Q(destination_name__icontains=q)
            | Q(source_name__icontains=q)
            | Q(place__icontains=q)
            | Q(pk__in=TraceEventInput.objects.filter(batch__in=batches).values("event_id"))
            | Q(pk__in=TraceEventOutput.objects.filter(batch__in=batches).values("event_id"))
        )
    if filters.stage:
        rows = rows.filter(stage=filters.stage)
    if filters.batch is not None:
        rows = rows.filter(
            Q(pk__in=TraceEventInput.objects.filter(batch_id=filters.batch).values("event_id"))
            | Q(pk__in=TraceEventOutput.objects.filter(batch_id=filters.batch).values("event_id"))
        )
    if filters.date_from is not None:
        rows = rows.filter(occurred_at__date__gte=filters.date_from)
    if filters.date_to is not None:
        rows = rows.filter(occurred_at__date__lte=filters.date_to)
    return rows.prefetch_related("inputs__batch", "outputs__batch").order_by("-occurred_at", "-id")


def event_get_for_user(*, user: Any, pk: int) -> TraceEvent:
    if not 0 < pk <= MAX_ID:
        raise NotFoundError("未找到该追溯事件。")
    event = (
        _visible_events(user)
        .select_related("producer", "destination", "division", "created_by")
        .prefetch_related("inputs__batch__product", "outputs__batch__producer")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        raise NotFoundError("未找到该追溯事件。")
    return event


def event_producer_choices(*, user: Any) -> QuerySet[Producer]:
    """For whom the user may record an event: itself, or its county's active producers."""
    return Producer.objects.restrict(user).filter(status=ProducerStatus.ACTIVE).order_by("name")


def event_input_choices(*, user: Any, producer: Producer | None = None) -> QuerySet[Batch]:
    """Batches that can go into an event: the user's (or this producer's), not recalled, with
    quantity left."""
    rows = Batch.objects.restrict(user).exclude(status=BatchStatus.RECALLED)
    if producer is not None:
        rows = rows.filter(producer=producer)
    return (
        with_remaining(rows.select_related("product", "producer"))
        .filter(Q(remaining__gt=0))
        .order_by("-harvest_date", "-id")
    )


def destination_choices(*, q: str = "") -> QuerySet[Producer]:
    """Directory entries a shipment may go to: any active producer (by name or credit code)."""
    rows = Producer.objects.filter(status=ProducerStatus.ACTIVE).select_related("division")
    q = q.strip()
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code=q.upper()))
    return rows.order_by("name", "pk")
