from __future__ import annotations

import datetime as dt

import pytest

from dibiao.dispatch.choices import ReportKind
from dibiao.dispatch.periods import (
    due_date,
    is_period_start,
    parse_month,
    period_end,
    period_key,
    period_label,
    period_start_of,
    reporting_periods,
    reporting_start_month,
)

DEADLINE = dt.date(2022, 11, 30)


def _due(kind: str, start: dt.date, day: int = 5) -> dt.date:
    return due_date(kind=kind, period_start=start, dispatch_day=day, annual_deadline=DEADLINE)


@pytest.mark.parametrize(
    ("kind", "start", "due"),
    [
        (ReportKind.MONTHLY, dt.date(2022, 7, 1), dt.date(2022, 8, 5)),
        (ReportKind.MONTHLY, dt.date(2022, 12, 1), dt.date(2023, 1, 5)),
        (ReportKind.MONTHLY, dt.date(2022, 1, 1), dt.date(2022, 2, 5)),
        (ReportKind.QUARTERLY, dt.date(2022, 1, 1), dt.date(2022, 4, 5)),
        (ReportKind.QUARTERLY, dt.date(2022, 7, 1), dt.date(2022, 10, 5)),
        (ReportKind.QUARTERLY, dt.date(2022, 10, 1), dt.date(2023, 1, 5)),
        (ReportKind.ANNUAL, dt.date(2022, 1, 1), DEADLINE),
    ],
)
def test_due_dates_follow_the_program_calendar(kind, start, due):
    assert _due(kind, start) == due


def test_dispatch_day_moves_every_monthly_and_quarterly_due_date():
    assert _due(ReportKind.MONTHLY, dt.date(2022, 1, 1), day=28) == dt.date(2022, 2, 28)
    assert _due(ReportKind.QUARTERLY, dt.date(2022, 4, 1), day=10) == dt.date(2022, 7, 10)


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        (ReportKind.MONTHLY, dt.date(2022, 2, 17), dt.date(2022, 2, 1), dt.date(2022, 2, 28)),
        (ReportKind.QUARTERLY, dt.date(2022, 8, 17), dt.date(2022, 7, 1), dt.date(2022, 9, 30)),
        (ReportKind.QUARTERLY, dt.date(2022, 12, 31), dt.date(2022, 10, 1), dt.date(2022, 12, 31)),
        (ReportKind.ANNUAL, dt.date(2022, 6, 3), dt.date(2022, 1, 1), dt.date(2022, 12, 31)),
    ],
)
def test_periods_start_on_their_first_day_and_end_on_their_last(kind, day, start, end):
    assert period_start_of(kind, day) == start
    assert is_period_start(kind, start)
    assert not is_period_start(kind, start + dt.timedelta(days=1))
    assert period_end(kind, start) == end


def test_labels_and_keys():
    assert period_label(ReportKind.MONTHLY, dt.date(2022, 7, 1)) == "2022年7月"
    assert period_label(ReportKind.QUARTERLY, dt.date(2022, 7, 1)) == "2022年第3季度"
    assert period_label(ReportKind.ANNUAL, dt.date(2022, 1, 1)) == "2022年度"
    assert period_key(ReportKind.QUARTERLY, dt.date(2022, 10, 1)) == "2022-Q4"
    assert parse_month("2022-07") == dt.date(2022, 7, 1)
    assert parse_month("2022-13") is None
    assert parse_month("七月") is None


def test_reporting_starts_with_the_allocation_month_inside_the_program_year():
    assert reporting_start_month(program_year=2022, allocated_on=dt.date(2022, 3, 9)) == 3
    # Entered after the year (e.g. loading a past program) or ahead of it: the whole year.
    assert reporting_start_month(program_year=2021, allocated_on=dt.date(2026, 11, 1)) == 1
    assert reporting_start_month(program_year=2023, allocated_on=dt.date(2022, 12, 20)) == 1


def test_reporting_periods_from_march():
    periods = reporting_periods(year=2022, first_month=3, dispatch_day=5, annual_deadline=DEADLINE)
    keys = [p.key for p in periods]
    assert keys[:2] == ["2022-03", "2022-04"]
    assert keys[9] == "2022-12"
    # Q1 ends in March, the first reporting month, so it is reported; a May start drops it.
    assert keys[10:] == ["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4", "2022"]
    from_may = reporting_periods(year=2022, first_month=5, dispatch_day=5, annual_deadline=DEADLINE)
    assert "2022-Q1" not in [p.key for p in from_may]
