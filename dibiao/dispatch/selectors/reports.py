"""Reads of progress dispatch, scoped: reports, who is late, the submission matrix, the monthly
dispatch table, and the spending figure a report is pre-filled with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from dibiao.core.errors import NotFoundError
from dibiao.dispatch.choices import ReportKind, ReportStatus, SubmissionState
from dibiao.dispatch.models import DispatchProgressLine, DispatchReport
from dibiao.dispatch.periods import (
    Period,
    make_period,
    reporting_periods,
    reporting_start_month,
)
from dibiao.projects.choices import EntryKind, EntryStatus, ProgramStatus
from dibiao.projects.models import Allocation, FundEntry, Program
from dibiao.projects.selectors import program_list_for_user

ZERO = Decimal("0.00")


# --- Programs and periods --------------------------------------------------------------------


def dispatch_programs_for_user(*, user: Any) -> QuerySet[Program]:
    """Programs under way in the user's provinces: only an implementing program reports."""
    return program_list_for_user(user=user).filter(status=ProgramStatus.IMPLEMENTING)


def dispatch_program_for_user(*, user: Any, pk: int) -> Program:
    program = program_list_for_user(user=user).filter(pk=pk).first()
    if program is None:
        raise NotFoundError("未找到该保护工程。")
    return program


def allocation_periods(allocation: Allocation) -> list[Period]:
    """Every period the allocation reports for (months, quarters, the year), from the month
    its funds were allocated in the program's year."""
    program = allocation.program
    first = reporting_start_month(
        program_year=program.year, allocated_on=timezone.localdate(allocation.allocated_at)
    )
    return reporting_periods(
        year=program.year,
        first_month=first,
        dispatch_day=program.monthly_dispatch_day,
        annual_deadline=program.annual_summary_deadline,
    )


def allocation_period(allocation: Allocation, kind: str, start: dt.date) -> Period | None:
    """The allocation's period of `kind` starting on `start`, if it reports for it."""
    for period in allocation_periods(allocation):
        if period.kind == kind and period.start == start:
            return period
    return None


def period_of_program(program: Program, kind: str, start: dt.date) -> Period:
    return make_period(
        kind=kind,
        start=start,
        dispatch_day=program.monthly_dispatch_day,
        annual_deadline=program.annual_summary_deadline,
    )


# --- Spending (the figure a report is pre-filled with) ---------------------------------------


def spent_until(*, allocation_ids: Iterable[int], until: dt.date) -> dict[int, Decimal]:
    """Net approved spending of each allocation paid on or before `until`: approved payments
    less approved reversals. The same rule as `projects.selectors.allocation_spending_by`
    (a test holds them equal), in one query for many allocations."""
    ids = list(allocation_ids)
    rows = (
        FundEntry.objects.filter(
            allocation_id__in=ids, status=EntryStatus.APPROVED, paid_on__lte=until
        )
        .values("allocation_id")
        .annotate(
            paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=ZERO),
            reversed=Sum("amount", filter=Q(kind=EntryKind.REVERSAL), default=ZERO),
        )
        .order_by()
    )
    spent = dict.fromkeys(ids, ZERO)
    for row in rows:
        spent[row["allocation_id"]] = row["paid"] - row["reversed"]
    return spent


def allocation_spent_until(*, allocation: Allocation, until: dt.date) -> Decimal:
    return spent_until(allocation_ids=[allocation.pk], until=until)[allocation.pk]


def execution_rate(spent: Decimal, amount: Decimal) -> Decimal:
    return (spent / amount * 100).quantize(Decimal("0.1")) if amount else ZERO


# --- Reports -------------------------------------------------------------------------------


def _reports(qs: QuerySet[DispatchReport]) -> QuerySet[DispatchReport]:
    return qs.select_related(
        "allocation__program",
        "allocation__product",
        "allocation__division__parent",
        "submitted_by",
        "returned_by",
    )


def report_list_for_user(
    *,
    user: Any,
    program: Program | None = None,
    allocation: Allocation | None = None,
    kind: str = "",
    status: str = "",
    period_start: dt.date | None = None,
) -> QuerySet[DispatchReport]:
    qs = DispatchReport.objects.restrict(user)
    if program is not None:
        qs = qs.filter(allocation__program=program)
    if allocation is not None:
        qs = qs.filter(allocation=allocation)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if period_start is not None:
        qs = qs.filter(period_start=period_start)
    return _reports(qs).order_by("-period_start", "kind", "allocation__product__name", "id")


def report_get_for_user(*, user: Any, pk: int) -> DispatchReport:
    report = (
        _reports(DispatchReport.objects.restrict(user))
        .prefetch_related(
            Prefetch("lines", queryset=DispatchProgressLine.objects.select_related("target"))
        )
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise NotFoundError("未找到该报告。")
    return report


def report_find_for_user(
    *, user: Any, allocation: Allocation, kind: str, period_start: dt.date
) -> DispatchReport | None:
    return (
        report_list_for_user(user=user, allocation=allocation, kind=kind, period_start=period_start)
        .prefetch_related(
            Prefetch("lines", queryset=DispatchProgressLine.objects.select_related("target"))
        )
        .first()
    )


# --- Where each period stands ----------------------------------------------------------------


@dataclass(frozen=True)
class PeriodStatus:
    """One period of one allocation: its report (if any) and where it stands today."""

    allocation: Allocation
    period: Period
    report: DispatchReport | None
    state: SubmissionState
    days_late: int  # past the due date: today for an unsubmitted report, else at submission

    @property
    def is_overdue(self) -> bool:
        """Due before today and not submitted (a returned report counts as not submitted)."""
        return self.state in (SubmissionState.MISSING, SubmissionState.RETURNED) and (
            self.days_late > 0
        )


def submission_state(
    period: Period, report: DispatchReport | None, today: dt.date
) -> tuple[SubmissionState, int]:
    if report is not None and report.status == ReportStatus.SUBMITTED:
        # A CHECK constraint gives every submitted report its time.
        submitted_on = timezone.localdate(report.submitted_at) if report.submitted_at else today
        late_by = max((submitted_on - period.due).days, 0)
        return (SubmissionState.LATE if report.submitted_late else SubmissionState.ON_TIME), late_by
    late_by = max((today - period.due).days, 0)
    if report is not None and report.status == ReportStatus.RETURNED:
        return SubmissionState.RETURNED, late_by
    return (SubmissionState.MISSING if late_by else SubmissionState.PENDING), late_by


def allocations_in_scope(*, user: Any, program: Program) -> list[Allocation]:
    return list(
        Allocation.objects.restrict(user)
        .filter(program=program)
        .select_related("program", "product", "division__parent")
        .order_by("product__name", "id")
    )


# What a period's state is computed from: a lean read of the reports loads only these.
STATE_FIELDS = (
    "id",
    "allocation_id",
    "kind",
    "period_start",
    "status",
    "submitted_at",
    "submitted_late",
)


def _statuses(
    allocations: list[Allocation], today: dt.date, kinds: Iterable[str], *, lean: bool = False
) -> list[PeriodStatus]:
    kinds = set(kinds)
    found = DispatchReport.objects.filter(
        allocation__in=[a.pk for a in allocations], kind__in=kinds
    )
    found = found.only(*STATE_FIELDS) if lean else found.select_related("submitted_by")
    reports = {(r.allocation_id, r.kind, r.period_start): r for r in found}
    rows: list[PeriodStatus] = []
    for allocation in allocations:
        for period in allocation_periods(allocation):
            if period.kind not in kinds or not period.is_open(today):
                continue
            report = reports.get((allocation.pk, period.kind, period.start))
            state, days_late = submission_state(period, report, today)
            rows.append(PeriodStatus(allocation, period, report, state, days_late))
    return rows


def program_period_statuses(
    *,
    user: Any,
    program: Program,
    today: dt.date,
    kinds: Iterable[str] = ReportKind.values,
    lean: bool = False,
) -> list[PeriodStatus]:
    """Every period (of `kinds`) of every allocation of the program in the user's scope that
    has begun by `today`, with its report: two queries whatever the number of allocations.
    `lean` reads only what the states need (`STATE_FIELDS`): for counting states, when the
    reports' content and submitter are not shown."""
    return _statuses(allocations_in_scope(user=user, program=program), today, kinds, lean=lean)


def overdue_reports(*, user: Any, program: Program, today: dt.date) -> list[PeriodStatus]:
    """The overdue list: for each allocation in scope of an implementing program, each period
    whose due date is before `today` with no submitted report — the longest overdue first."""
    if program.status != ProgramStatus.IMPLEMENTING:
        return []
    rows = [
        row
        for row in program_period_statuses(user=user, program=program, today=today)
        if row.is_overdue
    ]
    return sorted(rows, key=lambda r: (r.period.due, r.allocation.product.name, r.period.kind))


def report_schedule_for_user(*, user: Any, program: Program, today: dt.date) -> list[PeriodStatus]:
    """A county's own list of every period that has begun: the overdue ones (oldest first),
    then those still to come (nearest due first), then those submitted (latest first)."""

    def order(row: PeriodStatus) -> tuple[int, int, str]:
        due = row.period.due.toordinal()
        if row.state in (SubmissionState.ON_TIME, SubmissionState.LATE):
            return 2, -due, row.allocation.product.name
        return (1 if row.state == SubmissionState.PENDING else 0), due, row.allocation.product.name

    return sorted(program_period_statuses(user=user, program=program, today=today), key=order)


@dataclass(frozen=True)
class MatrixColumn:
    kind: str
    start: dt.date
    key: str
    heading: str


@dataclass(frozen=True)
class MatrixRow:
    allocation: Allocation
    cells: list[PeriodStatus | None]  # None: the allocation does not report for that period


def submission_matrix(
    *, user: Any, program: Program, today: dt.date
) -> tuple[list[MatrixColumn], list[MatrixRow]]:
    """Allocations × periods (12 months, 4 quarters, the year) of the program."""
    year = program.year
    columns = [
        MatrixColumn(ReportKind.MONTHLY, dt.date(year, m, 1), f"{year}-{m:02d}", f"{m}月")
        for m in range(1, 13)
    ]
    columns += [
        MatrixColumn(ReportKind.QUARTERLY, dt.date(year, m, 1), f"{year}-Q{q}", f"Q{q}")
        for q, m in enumerate((1, 4, 7, 10), start=1)
    ]
    columns.append(MatrixColumn(ReportKind.ANNUAL, dt.date(year, 1, 1), str(year), "年度"))
    allocations = allocations_in_scope(user=user, program=program)
    cells: dict[tuple[int, str, dt.date], PeriodStatus] = {
        (row.allocation.pk, row.period.kind, row.period.start): row
        for row in _statuses(allocations, today, ReportKind.values)
    }
    rows = [
        MatrixRow(allocation, [cells.get((allocation.pk, c.kind, c.start)) for c in columns])
        for allocation in allocations
    ]
    return columns, rows
