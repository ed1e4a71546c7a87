"""What every indicator computation shares: the window it counts in, the set of products it
computes for, and the shape of its answer (value and evidence).

A computation takes a `Context` (one program, the allocations — products — to compute for, and
the cut-off date) and answers a `Measure` per product, computed with a fixed number of grouped
queries whatever the number of products: never a query per product. Evidence items (the records
themselves, with links) are read only when asked for (`Context.items` > 0), with one query per
indicator that keeps the first few rows of each product (a window function), so a page about one
product costs a few queries and the whole program's table none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import F, IntegerField, Model, QuerySet, Window
from django.db.models.functions import Cast, RowNumber
from django.urls import reverse
from django.utils import timezone

from dibiao.projects.models import Allocation, Program


@dataclass(frozen=True)
class Span:
    """An inclusive range of days."""

    start: dt.date
    end: dt.date

    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"


@dataclass(frozen=True)
class EvidenceItem:
    label: str
    url: str


@dataclass(frozen=True)
class Evidence:
    """The records behind a value: how many, the first few of them (when asked for) and the
    filtered list page that shows all of them (where one exists)."""

    count: int = 0
    items: tuple[EvidenceItem, ...] = ()
    list_url: str = ""


@dataclass(frozen=True)
class Measure:
    """One product's raw figure for one indicator; `value` None means nothing to measure yet
    (e.g. funds not passed down, no report due)."""

    value: Decimal | None
    evidence: Evidence = Evidence()
    detail: str = ""
    # The period the figure is of, where it is not the indicator's usual one (farmers driven
    # are read for the latest year reported).
    period_label: str = ""


@dataclass
class Context:
    program: Program
    allocations: list[Allocation]
    as_of: dt.date
    # Evidence items per product and indicator (0: counts and list links only).
    items: int = 0
    # The products as an `__in` operand: the program's whole set as a subquery (no long IN
    # list), a page of them as ids.
    whole_program: bool = False
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def by_product(self) -> dict[int, Allocation]:
        return {a.product_id: a for a in self.allocations}

    @property
    def product_ids(self) -> Any:
        if self.whole_program:
            return Allocation.objects.filter(program=self.program).values("product_id")
        return [a.product_id for a in self.allocations]

    @property
    def allocation_ids(self) -> list[int]:
        return [a.pk for a in self.allocations]

    @property
    def year(self) -> int:
        return self.program.year

    @property
    def program_span(self) -> Span:
        """From 1 January of the program's year to the cut-off date."""
        return Span(dt.date(self.year, 1, 1), self.as_of)

    @property
    def year_span(self) -> Span:
        """The program's year, up to the cut-off date."""
        return Span(dt.date(self.year, 1, 1), min(dt.date(self.year, 12, 31), self.as_of))

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A figure two indicators share (e.g. provincial media by quarter), computed once."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the platform's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def before_day_after(day: dt.date) -> dt.datetime:
    """The first instant after `day` (for `< ...` on a timestamp)."""
    return day_start(day + dt.timedelta(days=1))


def url(name: str, *args: Any, **query: Any) -> str:
    path = reverse(name, args=args)
    params = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(params)}" if params else path


def counts(rows: Iterable[Any], key: str = "product_id", n: str = "n") -> dict[int, int]:
    """{key: n} of the rows of a grouped `values(...).annotate(n=...)` query."""
    return {row[key]: int(row[n] or 0) for row in rows}


def first_rows(
    rows: QuerySet[Any], *, partition: str, order_by: Sequence[Any], limit: int
) -> dict[int, list[Any]]:
    """The first `limit` rows of each `partition` value, in `order_by` order: one query."""
    if limit <= 0:
        return {}
    ranked = rows.annotate(
        # A Cast, not a bare F(): Django (5.2) drops a plain column annotation from the
        # subquery it wraps a filtered window in, and the rows come back misaligned.
        _partition=Cast(partition, IntegerField()),
        _rank=Window(RowNumber(), partition_by=[F(partition)], order_by=list(order_by)),
    ).filter(_rank__lte=limit)
    grouped: dict[int, list[Any]] = {}
    for row in ranked:
        grouped.setdefault(row._partition, []).append(row)
    for members in grouped.values():
        members.sort(key=lambda r: r._rank)
    return grouped


def items_of(
    rows: Iterable[Model], label: Callable[[Any], str], link: Callable[[Any], str]
) -> tuple[EvidenceItem, ...]:
    return tuple(EvidenceItem(label(row), link(row)) for row in rows)


def number(value: Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


ZERO = Decimal(0)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """part / whole in per cent, one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole) * HUNDRED).quantize(TENTH, rounding=ROUND_HALF_UP)
