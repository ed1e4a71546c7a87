"""The monthly dispatch table (月度调度表): one row per allocation of a program for one month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from dibiao.core.models import Division
from dibiao.dispatch.choices import ReportKind, ReportStatus, SubmissionState
from dibiao.dispatch.models import DispatchProgressLine, DispatchReport
from dibiao.dispatch.periods import period_end
from dibiao.dispatch.selectors.reports import (
    ZERO,
    allocation_period,
    allocations_in_scope,
    execution_rate,
    spent_until,
    submission_state,
)
from dibiao.projects.models import Allocation, Program


@dataclass(frozen=True)
class TableRow:
    allocation: Allocation
    state: SubmissionState | None  # None: the allocation does not report for that month
    submitted_at: dt.datetime | None
    amount: Decimal
    spent: Decimal  # approved spending up to the month's end, read from the ledger now
    rate: Decimal
    progress: str
    problems: str
    next_steps: str

    @property
    def product(self) -> str:
        return self.allocation.product.name

    @property
    def division(self) -> str:
        return division_label(self.allocation.division)

    @property
    def state_label(self) -> str:
        return str(self.state.label) if self.state is not None else "不需报送"


@dataclass(frozen=True)
class DispatchTable:
    program: Program
    month: dt.date
    today: dt.date
    rows: list[TableRow]

    @property
    def title(self) -> str:
        return f"{self.program.name}{self.month.year}年{self.month.month}月进展调度表"

    @property
    def total_amount(self) -> Decimal:
        return sum((r.amount for r in self.rows), ZERO)

    @property
    def total_spent(self) -> Decimal:
        return sum((r.spent for r in self.rows), ZERO)

    @property
    def total_rate(self) -> Decimal:
        return execution_rate(self.total_spent, self.total_amount)

    def count(self, state: SubmissionState) -> int:
        return sum(1 for r in self.rows if r.state == state)


def division_label(division: Division) -> str:
    """A county with its city (太原市清徐县); a city or province by its own name."""
    parent = division.parent
    if division.level == "county" and parent is not None:
        return f"{parent.name}{division.name}"
    return division.name


def progress_text(report: DispatchReport) -> str:
    """The report's progress in one cell: the overview, then each task with its progress."""
    parts = [report.summary.strip()] if report.summary.strip() else []
    for line in report.lines.all():
        if not line.progress.strip() and line.achieved is None:
            continue
        achieved = (
            f"（累计{line.achieved.normalize():f}{line.target.unit}）"
            if line.achieved is not None
            else ""
        )
        parts.append(f"{line.target.name}：{line.progress.strip()}{achieved}")
    return "\n".join(parts)


def monthly_table(*, user: Any, program: Program, month: dt.date, today: dt.date) -> DispatchTable:
    """The program's allocations in the user's scope for `month` (its first day): whether the
    monthly report came in on time, late or not at all, its content if submitted, and the funds
    allocated and spent (approved, up to the month's end) with the execution rate."""
    allocations = allocations_in_scope(user=user, program=program)
    return monthly_table_of(program=program, allocations=allocations, month=month, today=today)


def monthly_table_of(
    *, program: Program, allocations: Sequence[Allocation], month: dt.date, today: dt.date
) -> DispatchTable:
    """The same table for allocations the caller has chosen (from its scoped selectors), in
    the given order: a report made in the background keeps the scope it was requested in."""
    reports = {
        r.allocation_id: r
        for r in DispatchReport.objects.filter(
            allocation__in=[a.pk for a in allocations],
            kind=ReportKind.MONTHLY,
            period_start=month,
        ).prefetch_related(
            Prefetch("lines", queryset=DispatchProgressLine.objects.select_related("target"))
        )
    }
    spent = spent_until(
        allocation_ids=[a.pk for a in allocations], until=period_end(ReportKind.MONTHLY, month)
    )
    rows: list[TableRow] = []
    for allocation in allocations:
        period = allocation_period(allocation, ReportKind.MONTHLY, month)
        report = reports.get(allocation.pk)
        state = submission_state(period, report, today)[0] if period is not None else None
        submitted = (
            report if report is not None and report.status == ReportStatus.SUBMITTED else None
        )
        rows.append(
            TableRow(
                allocation=allocation,
                state=state,
                submitted_at=timezone.localtime(submitted.submitted_at)
                if submitted is not None and submitted.submitted_at
                else None,
                amount=allocation.amount,
                spent=spent[allocation.pk],
                rate=execution_rate(spent[allocation.pk], allocation.amount),
                progress=progress_text(submitted) if submitted is not None else "",
                problems=submitted.problems if submitted is not None else "",
                next_steps=submitted.next_steps if submitted is not None else "",
            )
        )
    return DispatchTable(program=program, month=month, today=today, rows=rows)
