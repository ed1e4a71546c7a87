"""Indicators computed from the platform's records (issue 8, item 2).

    indicators_compute(program=..., as_of=...)            every product of the program
    indicators_compute(program=..., allocations=[...])    some of them (a page, one product)

Each answers, per product (allocation) and indicator, the value, the target with its
comparison, the status (达标 / 未达标 / 无数据) and the evidence: how many records make up the
value, the first `items` of them with links, and the filtered list page. The cost is a fixed
number of grouped queries per indicator whatever the number of products (`bench/indicators.py`
times it). Not scoped: callers choose the allocations through their own scoped selectors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from dibiao.evaluation.choices import Comparison, IndicatorPeriod, IndicatorStatus
from dibiao.evaluation.indicators.base import Context, Evidence, EvidenceItem, Measure
from dibiao.evaluation.indicators.catalogue import BY_CODE, CATALOGUE, Indicator, plan_target
from dibiao.projects.models import Allocation, Program

__all__ = [
    "BY_CODE",
    "CATALOGUE",
    "EVIDENCE_ITEMS",
    "Evidence",
    "EvidenceItem",
    "Indicator",
    "IndicatorValue",
    "ProductIndicators",
    "indicators_compute",
    "indicators_for_product",
    "program_targets",
    "status_of",
]

# Evidence items per indicator on a page about one product.
EVIDENCE_ITEMS = 5


@dataclass(frozen=True)
class IndicatorValue:
    indicator: Indicator
    target: Decimal | None
    value: Decimal | None
    status: IndicatorStatus
    detail: str
    evidence: Evidence
    period_label: str

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def target_label(self) -> str:
        if self.target is None:
            return "—"
        return f"{self.indicator.comparison.label} {self.target.normalize():f}{self.indicator.unit}"


@dataclass(frozen=True)
class ProductIndicators:
    allocation: Allocation
    values: tuple[IndicatorValue, ...]

    def get(self, code: str) -> IndicatorValue:
        return next(v for v in self.values if v.code == code)

    @property
    def met(self) -> int:
        return sum(1 for v in self.values if v.status == IndicatorStatus.MET)


def status_of(value: Decimal | None, target: Decimal | None, comparison: str) -> IndicatorStatus:
    if value is None or target is None:
        return IndicatorStatus.NO_DATA
    met = {
        Comparison.GE: value >= target,
        Comparison.LE: value <= target,
        Comparison.EQ: value == target,
    }[Comparison(comparison)]
    return IndicatorStatus.MET if met else IndicatorStatus.NOT_MET


def program_targets(program: Program) -> dict[str, Decimal | None]:
    """Each indicator's target for the program: its ProgramTarget's value where the plan sets
    one (the program may have adjusted it), else the catalogue's."""
    own = dict(program.targets.values_list("code", "value"))
    return {
        ind.code: own.get(ind.target_code, plan_target(ind))
        if ind.target_code
        else plan_target(ind)
        for ind in CATALOGUE
    }


def period_label(indicator: Indicator, context: Context) -> str:
    year = context.year
    return {
        IndicatorPeriod.PROGRAM: f"{context.program_span.label()}",
        IndicatorPeriod.YEAR: f"{year}年",
        IndicatorPeriod.QUARTER: f"{year}年各季度",
        IndicatorPeriod.MONTH: f"{year}年各月",
    }[indicator.period]


def _allocations(program: Program, allocations: Iterable[Allocation] | None) -> list[Allocation]:
    if allocations is None:
        rows = Allocation.objects.filter(program=program)
    else:
        rows = Allocation.objects.filter(pk__in=[a.pk for a in allocations], program=program)
    return list(
        rows.select_related("program", "product", "division").order_by("product__name", "pk")
    )


def indicators_compute(
    *,
    program: Program,
    allocations: Iterable[Allocation] | None = None,
    as_of: dt.date | None = None,
    items: int = 0,
    codes: Sequence[str] | None = None,
    on_indicator: Callable[[], None] | None = None,
) -> list[ProductIndicators]:
    """The indicators of the program's products (all of them, or `allocations`), counted up to
    `as_of` (default today), with `items` evidence records each (0: counts and links only).
    `codes` limits the computation to some indicators (a scheme item needs only its own);
    `on_indicator` is called after each indicator is computed (a report's progress)."""
    chosen = _allocations(program, allocations)
    context = Context(
        program=program,
        allocations=chosen,
        as_of=as_of or timezone.localdate(),
        items=items,
        whole_program=allocations is None,
    )
    targets = program_targets(program)
    indicators = [ind for ind in CATALOGUE if codes is None or ind.code in codes]
    measures: dict[str, dict[int, Measure]] = {}
    for ind in indicators:
        measures[ind.code] = ind.compute(context) if chosen else {}
        if on_indicator is not None:
            on_indicator()
    rows: list[ProductIndicators] = []
    for allocation in chosen:
        values = []
        for ind in indicators:
            measure = measures[ind.code].get(allocation.product_id, Measure(None))
            target = targets[ind.code]
            values.append(
                IndicatorValue(
                    indicator=ind,
                    target=target,
                    value=measure.value,
                    status=status_of(measure.value, target, ind.comparison),
                    detail=measure.detail,
                    evidence=measure.evidence,
                    period_label=measure.period_label or period_label(ind, context),
                )
            )
        rows.append(ProductIndicators(allocation, tuple(values)))
    return rows


def indicators_for_product(
    *, allocation: Allocation, as_of: dt.date | None = None, items: int = EVIDENCE_ITEMS
) -> ProductIndicators:
    """One product's indicators with their evidence records (a few queries per indicator)."""
    (row,) = indicators_compute(
        program=allocation.program, allocations=[allocation], as_of=as_of, items=items
    )
    return row
