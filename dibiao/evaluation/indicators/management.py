"""Indicators of project management (plan 四, 五(二), 五(三)): funds passed on and spent, the
reporting calendar kept, supervision visits. They read the fund ledger and the dispatch records
through the rules of those apps (`dispatch.selectors`: spending, reporting periods, submission
states), for many allocations at once."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, F, Min

from dibiao.dispatch.choices import ReportKind, SubmissionState
from dibiao.dispatch.models import DispatchReport, InspectionVisit
from dibiao.dispatch.selectors import allocation_periods, spent_until, submission_state
from dibiao.evaluation.indicators.base import (
    Context,
    Evidence,
    EvidenceItem,
    Measure,
    first_rows,
    items_of,
    number,
    percent,
    url,
)
from dibiao.projects.choices import EntryKind, EntryStatus
from dibiao.projects.models import Allocation, FundEntry

# 资金下达后一个月内拨付到项目承担单位.
PASS_DOWN_DAYS = 30


def _allocation_item(allocation: Allocation) -> EvidenceItem:
    disbursed = f"{allocation.disbursed_on:%Y-%m-%d}" if allocation.disbursed_on else "未登记"
    return EvidenceItem(
        f"资金分配 {number(allocation.amount, 2)} 元，下达日期 {disbursed}",
        url("projects:allocation-detail", allocation.pk),
    )


def funds_passed_down(ctx: Context) -> dict[int, Measure]:
    """Days from the funds reaching the implementing body (the allocation's disbursement date)
    to its first approved payment to an undertaking unit; while nothing is paid, the days so
    far (to the cut-off date)."""
    payments = FundEntry.objects.filter(
        allocation_id__in=ctx.allocation_ids,
        kind=EntryKind.PAYMENT,
        status=EntryStatus.APPROVED,
        paid_on__lte=ctx.as_of,
    )
    first = {
        row["allocation_id"]: row["first"]
        for row in payments.values("allocation_id").annotate(first=Min("paid_on")).order_by()
    }
    firsts = first_rows(
        payments,
        partition="allocation_id",
        order_by=[F("paid_on").asc(), F("pk").asc()],
        limit=min(ctx.items, 1),
    )
    result: dict[int, Measure] = {}
    for allocation in ctx.allocations:
        items: tuple[EvidenceItem, ...] = (_allocation_item(allocation),) if ctx.items else ()
        items += items_of(
            firsts.get(allocation.pk, []),
            lambda e: f"首笔拨付 {e.paid_on:%Y-%m-%d} {e.payee} {number(e.amount, 2)} 元",
            lambda e: url("projects:entry-detail", e.pk),
        )
        # The records behind the figure: the allocation's disbursement and the first payment.
        evidence = Evidence(
            1 + (allocation.pk in first),
            items,
            url("projects:allocation-detail", allocation.pk),
        )
        disbursed = allocation.disbursed_on
        if disbursed is None or disbursed > ctx.as_of:
            result[allocation.product_id] = Measure(None, evidence, "资金尚未下达")
            continue
        paid = first.get(allocation.pk)
        if paid is not None:
            days = max((paid - disbursed).days, 0)
            detail = f"{disbursed:%Y-%m-%d} 下达，{paid:%Y-%m-%d} 首笔拨付，用时 {days} 天"
        else:
            days = (ctx.as_of - disbursed).days
            detail = f"{disbursed:%Y-%m-%d} 下达，截至 {ctx.as_of:%Y-%m-%d} 尚未拨付（{days} 天）"
        result[allocation.product_id] = Measure(Decimal(days), evidence, detail)
    return result


def funds_execution(ctx: Context) -> dict[int, Measure]:
    """Net approved spending paid by the end of the program's year (or by the cut-off date, if
    earlier) over the allocation: `dispatch.selectors.spent_until`, the figure a dispatch report
    carries."""
    until = ctx.year_span.end
    spent = spent_until(allocation_ids=ctx.allocation_ids, until=until)
    entries = FundEntry.objects.filter(
        allocation_id__in=ctx.allocation_ids, status=EntryStatus.APPROVED, paid_on__lte=until
    )
    n = {
        row["allocation_id"]: row["n"]
        for row in entries.values("allocation_id").annotate(n=Count("pk")).order_by()
    }
    latest = first_rows(
        entries,
        partition="allocation_id",
        order_by=[F("paid_on").desc(), F("pk").desc()],
        limit=max(ctx.items - 1, 0),
    )
    result: dict[int, Measure] = {}
    for allocation in ctx.allocations:
        amount = spent[allocation.pk]
        items: tuple[EvidenceItem, ...] = (_allocation_item(allocation),) if ctx.items else ()
        items += items_of(
            latest.get(allocation.pk, []),
            lambda e: (
                f"{e.paid_on:%Y-%m-%d} {e.get_kind_display()} {e.payee} {number(e.amount, 2)} 元"
            ),
            lambda e: url("projects:entry-detail", e.pk),
        )
        result[allocation.product_id] = Measure(
            percent(amount, allocation.amount),
            Evidence(
                n.get(allocation.pk, 0), items, url("projects:allocation-detail", allocation.pk)
            ),
            f"截至 {until:%Y-%m-%d} 已支出 {number(amount, 2)} 元 / {number(allocation.amount, 2)} 元",
        )
    return result


def _reports(ctx: Context, kind: str) -> dict[tuple[int, object], DispatchReport]:
    rows = DispatchReport.objects.filter(allocation_id__in=ctx.allocation_ids, kind=kind)
    return {(r.allocation_id, r.period_start): r for r in rows}


def _report_item(report: DispatchReport, state: SubmissionState, days_late: int) -> EvidenceItem:
    late = f"，迟 {days_late} 天" if state == SubmissionState.LATE and days_late else ""
    return EvidenceItem(
        f"{report.period_label}{report.get_kind_display()}：{state.label}{late}",
        url("dispatch:report-detail", report.pk),
    )


def monthly_reports(ctx: Context) -> dict[int, Measure]:
    """Monthly reports due by the cut-off date that were submitted on time, in per cent of those
    due (`dispatch.selectors.submission_state`: a returned report is not submitted)."""
    reports = _reports(ctx, ReportKind.MONTHLY)
    result: dict[int, Measure] = {}
    for allocation in ctx.allocations:
        due = [
            p
            for p in allocation_periods(allocation)
            if p.kind == ReportKind.MONTHLY and p.due < ctx.as_of
        ]
        states = []
        for period in due:
            report = reports.get((allocation.pk, period.start))
            state, days_late = submission_state(period, report, ctx.as_of)
            states.append((period, report, state, days_late))
        on_time = sum(1 for s in states if s[2] == SubmissionState.ON_TIME)
        filed = [(r, state, days) for _, r, state, days in states if r is not None]
        latest = list(reversed(filed))[: ctx.items]
        items = tuple(_report_item(r, state, days) for r, state, days in latest if r is not None)
        evidence = Evidence(
            len(filed),
            items,
            url(
                "dispatch:report-list",
                program=ctx.program.pk,
                kind=ReportKind.MONTHLY,
            ),
        )
        if not due:
            result[allocation.product_id] = Measure(None, evidence, "尚无到期的月报")
            continue
        late = sum(1 for s in states if s[2] == SubmissionState.LATE)
        missing = len(due) - on_time - late
        result[allocation.product_id] = Measure(
            percent(on_time, len(due)),
            evidence,
            f"到期月报 {len(due)} 份：按时 {on_time}，迟报 {late}，未报或退回 {missing}",
        )
    return result


def annual_summary(ctx: Context) -> dict[int, Measure]:
    """Days the annual summary was late (0: on time); unsubmitted past its deadline, the days
    since the deadline."""
    reports = _reports(ctx, ReportKind.ANNUAL)
    result: dict[int, Measure] = {}
    for allocation in ctx.allocations:
        period = next(p for p in allocation_periods(allocation) if p.kind == ReportKind.ANNUAL)
        report = reports.get((allocation.pk, period.start))
        state, days_late = submission_state(period, report, ctx.as_of)
        evidence = Evidence(
            1 if report is not None else 0,
            (_report_item(report, state, days_late),) if report is not None and ctx.items else (),
            url("dispatch:report-list", program=ctx.program.pk, kind=ReportKind.ANNUAL),
        )
        deadline = f"截止日期 {period.due:%Y-%m-%d}"
        if state == SubmissionState.PENDING:
            result[allocation.product_id] = Measure(None, evidence, f"{deadline}，尚未到期")
        elif state == SubmissionState.ON_TIME:
            result[allocation.product_id] = Measure(Decimal(0), evidence, f"{deadline}，按时报送")
        else:
            result[allocation.product_id] = Measure(
                Decimal(days_late), evidence, f"{deadline}，{state.label} {days_late} 天"
            )
    return result


def supervision_visits(ctx: Context) -> dict[int, Measure]:
    """Supervision visits of the program to the allocation's implementing division by the
    cut-off date."""
    divisions = {a.division_id for a in ctx.allocations}
    rows = InspectionVisit.objects.filter(
        program=ctx.program, division_id__in=divisions, visited_on__lte=ctx.as_of
    )
    n = {
        row["division_id"]: row["n"]
        for row in rows.values("division_id").annotate(n=Count("pk")).order_by()
    }
    firsts = first_rows(
        rows,
        partition="division_id",
        order_by=[F("visited_on").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for allocation in ctx.allocations:
        result[allocation.product_id] = Measure(
            Decimal(n.get(allocation.division_id, 0)),
            Evidence(
                n.get(allocation.division_id, 0),
                items_of(
                    firsts.get(allocation.division_id, []),
                    lambda v: f"{v.visited_on:%Y-%m-%d} {v.inspectors}",
                    lambda v: url("dispatch:inspection-detail", v.pk),
                ),
                url("dispatch:supervision", program=ctx.program.pk),
            ),
        )
    return result
