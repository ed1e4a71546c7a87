"""Reconciliation of a label-use authorization (用标核对): the labels issued under it against the
authorized quantity and against what the producer harvested of that product in that year, and
the labels bound to each batch against what the batch can carry.

A label goes on a piece (个, 盒, 箱 …: one label per unit) or on a pack of produce sold by
weight: a batch in kilograms can carry `labels_per_kg()` labels per kilogram (the smallest
pack, by default 250 g). A batch in any other unit cannot be compared and is shown as such.
More labels bound to a batch than it can carry is over-labelling: the surplus labels can only
end up on goods that did not come from the batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Max, Sum

from dibiao.producers.models import LabelAuthorization
from dibiao.trace.choices import SegmentState
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment

# One label per unit.
PIECE_UNITS = frozenset(
    {
        *("个", "件", "枚", "只", "头", "株", "盒", "箱", "袋", "瓶", "罐", "包", "份", "套"),
        *("桶", "听", "支", "把", "束", "提", "筐", "篮", "盆", "pcs", "piece", "pieces", "box"),
    }
)
# Kilograms per unit.
WEIGHT_UNITS: dict[str, Decimal] = {
    "kg": Decimal(1),
    "千克": Decimal(1),
    "公斤": Decimal(1),
    "斤": Decimal("0.5"),
    "市斤": Decimal("0.5"),
    "g": Decimal("0.001"),
    "克": Decimal("0.001"),
    "t": Decimal(1000),
    "吨": Decimal(1000),
}
DEFAULT_LABELS_PER_KG = 4


def labels_per_kg() -> int:
    """Labels one kilogram can carry: DIBIAO_LABELS_PER_KG in the settings, else 4 (250 g)."""
    return int(getattr(settings, "DIBIAO_LABELS_PER_KG", DEFAULT_LABELS_PER_KG))


def labels_capacity(quantity: Decimal, unit: str) -> int | None:
    """How many labels a quantity can carry, or None when its unit cannot be compared."""
    key = unit.strip().lower()
    if key in PIECE_UNITS:
        return math.floor(quantity)
    if key in WEIGHT_UNITS:
        return math.floor(quantity * WEIGHT_UNITS[key] * labels_per_kg())
    return None


@dataclass(frozen=True)
class BatchLabels:
    batch: Batch
    labels_bound: int  # all labels bound to the batch, under any authorization
    labels_bound_here: int  # those issued under this authorization
    labels_allowed: int | None
    last_issuance: CodeIssuance | None

    @property
    def over(self) -> bool:
        return self.labels_allowed is not None and self.labels_bound > self.labels_allowed


@dataclass(frozen=True)
class HarvestTotal:
    unit: str
    quantity: Decimal
    batches: int


@dataclass(frozen=True)
class Reconciliation:
    authorization: LabelAuthorization
    issuances: list[CodeIssuance]
    labels_issued: int
    labels_by_state: dict[str, int]
    harvested: list[HarvestTotal]
    harvest_capacity: int | None  # labels the year's harvest can carry (comparable units only)
    batches: list[BatchLabels]

    @property
    def authorized_quantity(self) -> int | None:
        return self.authorization.authorized_quantity

    @property
    def over_authorized(self) -> bool:
        return (
            self.authorized_quantity is not None and self.labels_issued > self.authorized_quantity
        )

    @property
    def over_harvest(self) -> bool:
        """More labels issued than the year's harvest can carry (only once there is one)."""
        return self.harvest_capacity is not None and self.labels_issued > self.harvest_capacity

    @property
    def over_batches(self) -> list[BatchLabels]:
        return [row for row in self.batches if row.over]

    @property
    def flagged(self) -> bool:
        return self.over_authorized or self.over_harvest or bool(self.over_batches)


_SIZE = F("last_serial") - F("first_serial") + 1


def _harvest(authorization: LabelAuthorization) -> tuple[list[HarvestTotal], int | None]:
    # Harvested batches only: a batch made by a trace event (split, merge, processing) holds
    # produce that is already counted in its sources.
    rows = (
        Batch.objects.filter(
            producer_id=authorization.producer_id,
            product_id=authorization.product_id,
            harvest_date__year=authorization.year,
            produced_by__isnull=True,
        )
        .values("unit")
        .annotate(quantity=Sum("quantity"), batches=Count("id"))
        .order_by("unit")
    )
    totals: list[HarvestTotal] = []
    capacity: int | None = None
    for row in rows:
        totals.append(HarvestTotal(row["unit"], row["quantity"], row["batches"]))
        can = labels_capacity(row["quantity"], row["unit"])
        if can is not None:
            capacity = (capacity or 0) + can
    return totals, capacity


def reconcile(authorization: LabelAuthorization) -> Reconciliation:
    issuances = list(
        CodeIssuance.objects.filter(authorization=authorization).order_by("first_serial")
    )
    segments = CodeSegment.objects.filter(issuance__authorization=authorization)
    by_state = {
        row["state"]: int(row["n"])
        for row in segments.values("state").annotate(n=Sum(_SIZE)).order_by("state")
    }
    here = {
        row["batch"]: (int(row["n"]), row["last"])
        for row in segments.filter(state=SegmentState.ACTIVE)
        .values("batch")
        .annotate(n=Sum(_SIZE), last=Max("issuance"))
        .order_by("batch")
    }
    bound = {
        row["batch"]: int(row["n"])
        for row in CodeSegment.objects.filter(state=SegmentState.ACTIVE, batch__in=list(here))
        .values("batch")
        .annotate(n=Sum(_SIZE))
        .order_by("batch")
    }
    by_id = {i.pk: i for i in issuances}
    batches = [
        BatchLabels(
            batch=batch,
            labels_bound=bound.get(batch.pk, 0),
            labels_bound_here=here[batch.pk][0],
            labels_allowed=labels_capacity(batch.quantity, batch.unit),
            last_issuance=by_id.get(here[batch.pk][1]),
        )
        for batch in Batch.objects.filter(pk__in=list(here)).order_by("harvest_date", "id")
    ]
    harvested, capacity = _harvest(authorization)
    return Reconciliation(
        authorization=authorization,
        issuances=issuances,
        labels_issued=sum(i.count for i in issuances),
        labels_by_state={state: by_state.get(state, 0) for state in SegmentState.values},
        harvested=harvested,
        harvest_capacity=capacity,
        batches=batches,
    )
