"""The reporting calendar (一月一调度、一季一小结、全年一总结) as pure functions of dates.

A program sets two things: the day of the month by which the previous period is reported
(`Program.monthly_dispatch_day`, 1–28) and the annual summary deadline
(`Program.annual_summary_deadline`). From them:

- the monthly report (月报) for month M is due on that day of month M+1;
- the quarterly summary (季度小结) is due on the same day of the month after the quarter
  (quarters end 3/31, 6/30, 9/30, 12/31), so Q4's is due in January of the next year;
- the annual summary (年度总结) is due on the annual summary deadline.

A period is named by its first day (`period_start`): the 1st of the month, of the quarter's
first month, or 1 January. Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dibiao.dispatch.choices import ReportKind

QUARTER_FIRST_MONTHS = (1, 4, 7, 10)


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_start_of(kind: str, day: dt.date) -> dt.date:
    """The first day of the period of `kind` that contains `day`."""
    if kind == ReportKind.MONTHLY:
        return day.replace(day=1)
    if kind == ReportKind.QUARTERLY:
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def is_period_start(kind: str, day: dt.date) -> bool:
    return period_start_of(kind, day) == day


def period_end(kind: str, start: dt.date) -> dt.date:
    months = {ReportKind.MONTHLY: 1, ReportKind.QUARTERLY: 3}.get(ReportKind(kind), 12)
    return _add_months(start, months) - dt.timedelta(days=1)


def due_date(
    *, kind: str, period_start: dt.date, dispatch_day: int, annual_deadline: dt.date
) -> dt.date:
    if kind == ReportKind.ANNUAL:
        return annual_deadline
    month_after = _add_months(period_end(kind, period_start), 1)
    return month_after.replace(day=dispatch_day)


def period_label(kind: str, start: dt.date) -> str:
    if kind == ReportKind.MONTHLY:
        return f"{start.year}年{start.month}月"
    if kind == ReportKind.QUARTERLY:
        return f"{start.year}年第{(start.month - 1) // 3 + 1}季度"
    return f"{start.year}年度"


def period_key(kind: str, start: dt.date) -> str:
    """A short key for a matrix column: 2022-07, 2022-Q3, 2022."""
    if kind == ReportKind.MONTHLY:
        return f"{start:%Y-%m}"
    if kind == ReportKind.QUARTERLY:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date
    due: dt.date

    @property
    def label(self) -> str:
        return period_label(self.kind, self.start)

    @property
    def key(self) -> str:
        return period_key(self.kind, self.start)

    @property
    def kind_label(self) -> str:
        return str(ReportKind(self.kind).label)

    def is_open(self, today: dt.date) -> bool:
        """A report may be filed for a period that has begun (current or ended)."""
        return self.start <= today


def make_period(
    *, kind: str, start: dt.date, dispatch_day: int, annual_deadline: dt.date
) -> Period:
    return Period(
        kind=kind,
        start=start,
        end=period_end(kind, start),
        due=due_date(
            kind=kind,
            period_start=start,
            dispatch_day=dispatch_day,
            annual_deadline=annual_deadline,
        ),
    )


def reporting_start_month(*, program_year: int, allocated_on: dt.date) -> int:
    """The first month an allocation reports for: the month its funds were allocated, when
    that lies in the program's year. An allocation recorded outside the year (entered after the
    fact, or ahead of it) reports for the whole year."""
    return allocated_on.month if allocated_on.year == program_year else 1


def reporting_periods(
    *, year: int, first_month: int, dispatch_day: int, annual_deadline: dt.date
) -> list[Period]:
    """Every period an allocation of a program of `year` reports for, starting with
    `first_month`: the months, the quarters that end in or after it, and the year; in order of
    kind, then of start. (A program's allocations share a handful of calendars: computed once
    each.)"""
    return list(_reporting_periods(year, first_month, dispatch_day, annual_deadline))


@lru_cache(maxsize=1024)
def _reporting_periods(
    year: int, first_month: int, dispatch_day: int, annual_deadline: dt.date
) -> tuple[Period, ...]:
    calendar: dict[str, Any] = {"dispatch_day": dispatch_day, "annual_deadline": annual_deadline}
    months = [
        make_period(kind=ReportKind.MONTHLY, start=dt.date(year, m, 1), **calendar)
        for m in range(first_month, 13)
    ]
    quarters = [
        make_period(kind=ReportKind.QUARTERLY, start=dt.date(year, m, 1), **calendar)
        for m in QUARTER_FIRST_MONTHS
        if m + 2 >= first_month
    ]
    annual = [make_period(kind=ReportKind.ANNUAL, start=dt.date(year, 1, 1), **calendar)]
    return (*months, *quarters, *annual)


def parse_month(text: str) -> dt.date | None:
    """`YYYY-MM` as the first of that month, else None."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        return None
