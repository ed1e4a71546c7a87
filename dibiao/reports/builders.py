"""Which builder of `documents` makes which report job: by kind (annual, quarterly, monthly)
and format (Word, Excel), with the period checked."""

from __future__ import annotations

from collections.abc import Sequence

from dibiao.core.models import Division
from dibiao.projects.models import Allocation, Program
from dibiao.reports.choices import ReportFormat, ReportJobKind
from dibiao.reports.documents import (
    Progress,
    annual_summary_docx,
    annual_summary_xlsx,
    dispatch_table_docx,
    dispatch_table_xlsx,
    month_start,
    quarter_span,
    quarterly_summary_docx,
    quarterly_summary_xlsx,
)


def check_period(program: Program, kind: str, period: int | None) -> int | None:
    """The report's period as stored: the quarter (1–4) or month (1–12), None for the year
    (whose period is not read)."""
    if kind == ReportJobKind.QUARTERLY:
        quarter_span(program, period or 0)
        return period
    if kind == ReportJobKind.MONTHLY:
        month_start(program, period or 0)
        return period
    return None


def report_build(
    program: Program,
    *,
    kind: str,
    period: int | None,
    format: str,
    division: Division | None = None,
    allocations: Sequence[Allocation] | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Any of the six reports, by kind and format."""
    word = format == ReportFormat.DOCX
    if kind == ReportJobKind.QUARTERLY:
        quarterly = quarterly_summary_docx if word else quarterly_summary_xlsx
        return quarterly(
            program,
            quarter=period or 0,
            division=division,
            allocations=allocations,
            progress=progress,
        )
    if kind == ReportJobKind.MONTHLY:
        table = dispatch_table_docx if word else dispatch_table_xlsx
        return table(
            program,
            month=period or 0,
            division=division,
            allocations=allocations,
            progress=progress,
        )
    annual = annual_summary_docx if word else annual_summary_xlsx
    return annual(program, division=division, allocations=allocations, progress=progress)
