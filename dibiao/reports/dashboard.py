"""The dashboards (驾驶舱, issue 8 item 4): a program's figures for the products in a region of the
user's scope — the province, a city or a county — read from the other apps' selectors, never
from numbers typed in.

- Funds: allocated and spent per product; passed down and spent per month, with the cumulative
  execution rate (the fund ledger's rule, `dispatch.selectors.spent_until`).
- Indicators: product × indicator attainment (the evaluation catalogue), each cell red, amber,
  green or grey with the reason, linked to the product's evidence page.
- Reporting: the monthly reports of each month by state (on time, late, missing, not due).
- Trace: label codes issued per month, scans per day over the last 30 days, counterfeit alerts.
- Training and media: person-times and reports per product (the indicators' own figures).

Every figure carries the link to the records behind it (`url`), and every red/amber/green its
reason. The cost is the indicators' grouped queries plus a handful of grouped queries here,
whatever the number of products.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractMonth, TruncDate
from django.utils import timezone

from dibiao.accounts.scoping import scope_for, subtree_filter
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.dispatch.choices import ReportKind, SubmissionState
from dibiao.dispatch.exports import wan
from dibiao.dispatch.selectors.reports import (
    execution_rate,
    program_period_statuses,
    spent_until,
)
from dibiao.evaluation.choices import Comparison, IndicatorPeriod, IndicatorStatus
from dibiao.evaluation.indicators import CATALOGUE, IndicatorValue
from dibiao.evaluation.indicators.base import day_start, url
from dibiao.evaluation.selectors import indicator_allocations_for_user, indicator_table_for_user
from dibiao.projects.choices import EntryKind, EntryStatus
from dibiao.projects.models import Allocation, FundEntry, Program
from dibiao.trace.choices import AlertStatus
from dibiao.trace.models import CodeIssuance, CounterfeitAlert, Scan

ZERO = Decimal(0)
SCAN_DAYS = 30
# Funds: 90 % spent by the end of the program's year (the plan's 资金执行率), expected to grow
# evenly through the year; a product is amber within this many points behind that pace.
EXECUTION_TARGET = Decimal(90)
EXECUTION_AMBER_POINTS = Decimal(15)
# Indicators: a figure short of its target is amber from this share of it (or, for a day count
# that must stay under a limit, within half a month of it).
AMBER_SHARE = Decimal("0.8")
AMBER_DAYS = Decimal(15)
# Monthly reports: amber from this share on time.
REPORTS_AMBER_SHARE = Decimal("0.8")


class Level:
    """Red/amber/green against a target; grey where there is nothing to measure yet."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"
    ORDER = (GREY, GREEN, AMBER, RED)
    LABELS = {GREEN: "正常", AMBER: "预警", RED: "滞后", GREY: "无数据"}


@dataclass(frozen=True)
class Rag:
    level: str
    reason: str

    @property
    def label(self) -> str:
        return Level.LABELS[self.level]


def worst(rags: Iterable[Rag]) -> str:
    return max((r.level for r in rags), key=Level.ORDER.index, default=Level.GREY)


def _figure(value: Decimal) -> str:
    return f"{value.normalize():f}"


def year_fraction(year: int, as_of: dt.date) -> Decimal:
    """How much of the program's year has passed on `as_of` (0 before it, 1 after it)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if as_of < start:
        return ZERO
    if as_of >= end:
        return Decimal(1)
    return Decimal((as_of - start).days + 1) / Decimal((end - start).days + 1)


def indicator_rag(value: IndicatorValue, *, fraction: Decimal) -> Rag:
    """A cell of the heat map: green when met; for a yearly figure still short mid-year, green
    while it keeps pace with the year; amber when close to the target; red otherwise."""
    ind, target, figure = value.indicator, value.target, value.value
    if value.status == IndicatorStatus.NO_DATA or figure is None or target is None:
        return Rag(Level.GREY, value.detail or "暂无可计算的记录")
    unit = ind.unit
    goal = f"目标{ind.comparison.label}{_figure(target)}{unit}"
    if value.status == IndicatorStatus.MET:
        return Rag(Level.GREEN, f"{_figure(figure)}{unit}，已达{goal}")
    if ind.comparison == Comparison.LE:
        over = figure - target
        close = over <= (AMBER_DAYS if unit == "天" else target * (1 - AMBER_SHARE) or 1)
        return Rag(
            Level.AMBER if close else Level.RED,
            f"{_figure(figure)}{unit}，超出{goal} {_figure(over)}{unit}",
        )
    if ind.period == IndicatorPeriod.YEAR and fraction < 1:
        pace = (target * fraction).quantize(Decimal("0.1"))
        if figure >= pace:
            return Rag(
                Level.GREEN,
                f"{_figure(figure)}{unit}，未达全年{goal}，但不低于按时序进度应完成的"
                f"{_figure(pace)}{unit}",
            )
    share = figure / target if target else Decimal(0)
    return Rag(
        Level.AMBER if share >= AMBER_SHARE else Level.RED,
        f"{_figure(figure)}{unit}，完成{goal}的{(share * 100).quantize(Decimal('1'))}%",
    )


def execution_rag(rate: Decimal, *, fraction: Decimal) -> Rag:
    """Funds spent against the pace that reaches 90 % at the end of the year."""
    expected = (EXECUTION_TARGET * fraction).quantize(Decimal("0.1"))
    if rate >= expected:
        return Rag(Level.GREEN, f"执行率{rate}%，不低于按时序进度应达的{expected}%")
    level = Level.AMBER if rate >= expected - EXECUTION_AMBER_POINTS else Level.RED
    return Rag(level, f"执行率{rate}%，按时序进度应达{expected}%，落后{expected - rate}个百分点")


# --- The figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    unit: str
    rag: Rag | None
    url: str
    note: str = ""


@dataclass(frozen=True)
class ProductRow:
    allocation: Allocation
    spent: Decimal
    rate: Decimal
    funds: Rag
    cells: list[tuple[IndicatorValue, Rag]]

    @property
    def rag(self) -> Rag:
        """The product's worst indicator (funds execution and monthly reports are indicators
        too), with the indicators at that level named."""
        level = worst(rag for _, rag in self.cells)
        if level == Level.GREEN:
            return Rag(level, "各项有数据的指标均已达标或符合进度")
        if level == Level.GREY:
            return Rag(level, "暂无可计算的记录")
        named = [value.indicator.name for value, rag in self.cells if rag.level == level]
        shown = "、".join(named[:4]) + (f"等{len(named)}项" if len(named) > 4 else "")
        return Rag(level, f"{Level.LABELS[level]}：{shown}")

    @property
    def amount_wan(self) -> str:
        return wan(self.allocation.amount)

    @property
    def spent_wan(self) -> str:
        return wan(self.spent)

    @property
    def detail_url(self) -> str:
        return url("evaluation:indicator-detail", self.allocation.pk)


@dataclass
class Dashboard:
    program: Program
    region: Division | None  # None: the program's whole province
    regions: list[Division]  # what the user may narrow it to
    as_of: dt.date
    rows: list[ProductRow]
    kpis: list[Kpi] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.region.name if self.region is not None else self.program.province.name


def dashboard_regions(*, user: Any, program: Program) -> list[Division]:
    """The province, cities and counties the user may view the program's dashboard for: the
    top of its scope, and the divisions in its scope that implement a product of the program
    with the cities above them."""
    ids = scope_for(user).division_ids
    if not ids:
        return []
    wanted = set(
        Division.objects.filter(pk__in=ids).exclude(parent_id__in=ids).values_list("pk", flat=True)
    )
    implementing = Division.objects.filter(
        pk__in=Allocation.objects.filter(program=program).values("division_id")
    ).values_list("pk", "parent_id", "parent__parent_id")
    for chain in implementing:
        wanted.update(pk for pk in chain if pk in ids)
    return list(Division.objects.filter(pk__in=wanted).order_by("path"))


def _region_allocations(
    *, user: Any, program: Program, region: Division | None
) -> list[Allocation]:
    rows = indicator_allocations_for_user(user=user, program=program)
    if region is not None:
        rows = rows.filter(division__in=Division.objects.filter(subtree_filter([region.pk])))
    return list(rows.select_related("division__parent", "product"))


def dashboard_for_user(
    *, user: Any, program: Program, region_id: int | None = None, as_of: dt.date | None = None
) -> Dashboard:
    """The program's dashboard for the products of a region in the user's scope: the top of
    the scope unless `region_id` names one of `dashboard_regions`."""
    as_of = as_of or timezone.localdate()
    regions = dashboard_regions(user=user, program=program)
    if region_id is not None:
        region = next((d for d in regions if d.pk == region_id), None)
        if region is None:
            raise NotFoundError("不在您的数据范围内，或该地区没有本工程的产品。")
    else:
        region = min(regions, key=lambda d: len(d.path), default=None)
    if region is not None and region.pk == program.province_id:
        region = None
    allocations = _region_allocations(user=user, program=program, region=region)
    indicators = (
        indicator_table_for_user(
            user=user,
            program=program,
            as_of=as_of,
            allocations=None if region is None else allocations,
        )
        if allocations
        else []
    )
    return _assemble(
        user=user,
        program=program,
        region=region,
        regions=regions,
        as_of=as_of,
        allocations=allocations,
        indicators={row.allocation.pk: row.values for row in indicators},
    )


def _assemble(
    *,
    user: Any,
    program: Program,
    region: Division | None,
    regions: list[Division],
    as_of: dt.date,
    allocations: list[Allocation],
    indicators: dict[int, tuple[IndicatorValue, ...]],
) -> Dashboard:
    fraction = year_fraction(program.year, as_of)
    ids = [a.pk for a in allocations]
    spent = spent_until(allocation_ids=ids, until=min(as_of, dt.date(program.year, 12, 31)))
    reports = _report_states(user=user, program=program, allocation_ids=set(ids), as_of=as_of)
    rows = []
    for allocation in sorted(allocations, key=lambda a: (a.product.name, a.pk)):
        rate = execution_rate(spent[allocation.pk], allocation.amount)
        values = indicators.get(allocation.pk, ())
        rows.append(
            ProductRow(
                allocation=allocation,
                spent=spent[allocation.pk],
                rate=rate,
                funds=execution_rag(rate, fraction=fraction),
                cells=[(v, indicator_rag(v, fraction=fraction)) for v in values],
            )
        )
    dashboard = Dashboard(program=program, region=region, regions=regions, as_of=as_of, rows=rows)
    dashboard.charts = {
        "funds_by_product": _funds_by_product(rows),
        "funds_by_month": _funds_by_month(program, allocations, as_of),
        "heatmap": _heatmap(rows, as_of),
        "reporting": _reporting_chart(program, reports["by_month"]),
        "trace": _trace(user, program, region, as_of),
        "training_media": _training_media(rows),
    }
    dashboard.kpis = _kpis(dashboard, reports, fraction)
    return dashboard


# --- Funds ---------------------------------------------------------------------------------------


def _net(rows: Iterable[Any], key: str) -> dict[Any, Decimal]:
    net: dict[Any, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        net[row[key]] += row["paid"] - row["reversed"]
    return net


def _wan_figure(value: Decimal) -> float:
    """Yuan as 万元, a number for the charts."""
    return float((value / 10000).quantize(Decimal("0.01")))


def _funds_by_product(rows: list[ProductRow]) -> dict[str, Any]:
    return {
        "products": [r.allocation.product.name for r in rows],
        "allocated": [_wan_figure(r.allocation.amount) for r in rows],
        "spent": [_wan_figure(r.spent) for r in rows],
        "rates": [float(r.rate) for r in rows],
        "levels": [r.funds.level for r in rows],
        "reasons": [r.funds.reason for r in rows],
        "urls": [url("projects:allocation-detail", r.allocation.pk) for r in rows],
    }


def _funds_by_month(
    program: Program, allocations: list[Allocation], as_of: dt.date
) -> dict[str, Any]:
    """Funds passed down (资金下达, by `disbursed_on`) and spent (approved net payments, by
    `paid_on`) in each month of the program's year up to `as_of`, and the cumulative rate."""
    year = program.year
    last = min(as_of, dt.date(year, 12, 31))
    months = list(range(1, last.month + 1)) if last.year == year else []
    total = sum((a.amount for a in allocations), ZERO)
    passed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for allocation in allocations:
        day = allocation.disbursed_on
        if day is not None and day.year == year and day <= last:
            passed[day.month] += allocation.amount
    entries = (
        FundEntry.objects.filter(
            allocation_id__in=[a.pk for a in allocations],
            status=EntryStatus.APPROVED,
            paid_on__gte=dt.date(year, 1, 1),
            paid_on__lte=last,
        )
        .annotate(month=ExtractMonth("paid_on"))
        .values("month")
        .annotate(
            paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=ZERO),
            reversed=Sum("amount", filter=Q(kind=EntryKind.REVERSAL), default=ZERO),
        )
        .order_by()
    )
    spent = _net(entries, "month")
    cumulative, rates = ZERO, []
    for month in months:
        cumulative += spent[month]
        rates.append(float(execution_rate(cumulative, total)))
    return {
        "months": [f"{month}月" for month in months],
        "passed": [_wan_figure(passed[m]) for m in months],
        "spent": [_wan_figure(spent[m]) for m in months],
        "rates": rates,
        "url": url("projects:program-detail", program.pk),
    }


# --- Indicators ----------------------------------------------------------------------------------


def _heatmap(rows: list[ProductRow], as_of: dt.date) -> dict[str, Any]:
    """Cells [indicator, product, level index, figure, reason, url]: y runs bottom-up in
    ECharts, so products are listed in reverse to read top-down."""
    products = [r.allocation.product.name for r in rows]
    cells = []
    for y, row in enumerate(reversed(rows)):
        base = url("evaluation:indicator-detail", row.allocation.pk, as_of=as_of.isoformat())
        for x, (value, rag) in enumerate(row.cells):
            figure = "—" if value.value is None else _figure(value.value)
            cells.append(
                [x, y, Level.ORDER.index(rag.level), figure, rag.reason, f"{base}#{value.code}"]
            )
    return {
        "indicators": [ind.name for ind in CATALOGUE],
        "products": list(reversed(products)),
        "cells": cells,
        "levels": [Level.LABELS[level] for level in Level.ORDER],
    }


def _training_media(rows: list[ProductRow]) -> dict[str, Any]:
    def series(code: str) -> tuple[list[float], list[str]]:
        values, urls = [], []
        for row in rows:
            value = next((v for v, _ in row.cells if v.code == code), None)
            values.append(float(value.value) if value and value.value is not None else 0)
            urls.append(
                value.evidence.list_url if value and value.evidence.list_url else row.detail_url
            )
        return values, urls

    training, training_urls = series("training")
    national, national_urls = series("national_media")
    provincial, provincial_urls = series("provincial_media_year")
    return {
        "products": [r.allocation.product.name for r in rows],
        "training": training,
        "training_urls": training_urls,
        "national": national,
        "national_urls": national_urls,
        "provincial": provincial,
        "provincial_urls": provincial_urls,
    }


# --- Reporting -----------------------------------------------------------------------------------

REPORT_STATES = (
    (SubmissionState.ON_TIME, "#2e7d32"),
    (SubmissionState.LATE, "#e6a23c"),
    (SubmissionState.MISSING, "#cf222e"),
    (SubmissionState.RETURNED, "#9a6700"),
    (SubmissionState.PENDING, "#9aa3ad"),
)


def _report_states(
    *, user: Any, program: Program, allocation_ids: set[int], as_of: dt.date
) -> dict[str, Any]:
    """The monthly reports' states: counts by state, in all and per month."""
    statuses = program_period_statuses(
        user=user, program=program, today=as_of, kinds=[ReportKind.MONTHLY], lean=True
    )
    by_month: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for status in statuses:
        if status.allocation.pk in allocation_ids:
            by_month[status.period.start][status.state] += 1
            totals[status.state] += 1
    return {"by_month": by_month, "totals": totals}


def _reports_rag(states: dict[str, int]) -> Rag:
    due = sum(n for state, n in states.items() if state != SubmissionState.PENDING)
    if not due:
        return Rag(Level.GREY, "尚无到期的月报")
    on_time = states.get(SubmissionState.ON_TIME, 0)
    late = states.get(SubmissionState.LATE, 0)
    missing = due - on_time - late
    reason = f"应报{due}份：按时{on_time}份、迟报{late}份、未报或退回{missing}份"
    if on_time == due:
        return Rag(Level.GREEN, reason)
    share = Decimal(on_time) / Decimal(due)
    return Rag(Level.AMBER if share >= REPORTS_AMBER_SHARE and not missing else Level.RED, reason)


def _reporting_chart(program: Program, by_month: dict[dt.date, dict[str, int]]) -> dict[str, Any]:
    months = sorted(by_month)
    return {
        "months": [f"{m.year}年{m.month}月" for m in months],
        "series": [
            {
                "name": str(state.label),
                "color": color,
                "data": [by_month[m].get(state, 0) for m in months],
            }
            for state, color in REPORT_STATES
        ],
        "url": url("dispatch:home", program=program.pk),
    }


# --- Trace ---------------------------------------------------------------------------------------


def _trace(user: Any, program: Program, region: Division | None, as_of: dt.date) -> dict[str, Any]:
    """Codes issued per month of the 12 months to `as_of`, scans of those codes per day over
    the last 30 days, and counterfeit alerts (open, and raised in those days), for the
    program's products in the region (in the user's scope)."""
    products = Allocation.objects.filter(program=program).values("product_id")
    issuances = CodeIssuance.objects.restrict(user).filter(product_id__in=products)
    alerts = CounterfeitAlert.objects.restrict(user).filter(
        Q(issuance__product_id__in=products) | Q(issuance__isnull=True)
    )
    if region is not None:
        inside = Division.objects.filter(subtree_filter([region.pk])).values("pk")
        issuances = issuances.filter(producer__division__in=inside)
        alerts = alerts.filter(division__in=inside)
    months = _last_months(as_of, 12)
    first_month = months[0]
    issued: dict[tuple[int, int], int] = defaultdict(int)
    for created, count in issuances.filter(
        created_at__gte=day_start(first_month),
        created_at__lt=day_start(as_of + dt.timedelta(days=1)),
    ).values_list("created_at", "count"):
        local = timezone.localtime(created)
        issued[(local.year, local.month)] += count
    days = [as_of - dt.timedelta(days=n) for n in range(SCAN_DAYS - 1, -1, -1)]
    in_scope = issuances.filter(
        first_serial__lte=OuterRef("serial"), last_serial__gte=OuterRef("serial")
    )
    scans = (
        Scan.objects.filter(
            scanned_at__gte=day_start(days[0]),
            scanned_at__lt=day_start(as_of + dt.timedelta(days=1)),
            mac_failed=False,
        )
        .filter(Exists(in_scope))
        .annotate(day=TruncDate("scanned_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_day = {row["day"]: row["n"] for row in scans}
    raised = alerts.filter(
        created_at__gte=day_start(days[0]), created_at__lt=day_start(as_of + dt.timedelta(days=1))
    ).count()
    return {
        "months": [f"{m.year}年{m.month}月" for m in months],
        "issued": [issued[(m.year, m.month)] for m in months],
        "issued_total": issuances.aggregate(n=Sum("count", default=0))["n"],
        "days": [f"{d.month}-{d.day}" for d in days],
        "scans": [per_day.get(d, 0) for d in days],
        "alerts_open": alerts.filter(status=AlertStatus.OPEN).count(),
        "alerts_raised": raised,
        "issuance_url": url("trace:issuance-list"),
        "alert_url": url("trace:alert-list", status=AlertStatus.OPEN),
    }


def _last_months(day: dt.date, n: int) -> list[dt.date]:
    """The first days of the `n` months up to and including `day`'s."""
    index = day.year * 12 + day.month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - n + 1, index + 1)]


# --- Headline figures ----------------------------------------------------------------------------


def _kpis(dashboard: Dashboard, reports: dict[str, Any], fraction: Decimal) -> list[Kpi]:
    rows = dashboard.rows
    program = dashboard.program
    amount = sum((r.allocation.amount for r in rows), ZERO)
    spent = sum((r.spent for r in rows), ZERO)
    rate = execution_rate(spent, amount)
    cells = [rag for r in rows for _, rag in r.cells]
    measured = [rag for rag in cells if rag.level != Level.GREY]
    met = sum(1 for rag in measured if rag.level == Level.GREEN)
    met_share = Decimal(met) / Decimal(len(measured)) if measured else ZERO
    lagging = [r.allocation.product.name for r in rows if r.rag.level == Level.RED]
    trace = dashboard.charts["trace"]
    program_url = url("projects:program-detail", program.pk)
    indicators_url = url(
        "evaluation:indicator-table", program=program.pk, as_of=dashboard.as_of.isoformat()
    )
    return [
        Kpi("补助资金", wan(amount), "万元", None, program_url, f"{len(rows)}个产品"),
        Kpi(
            "资金执行率",
            f"{rate}",
            "%",
            execution_rag(rate, fraction=fraction),
            program_url,
            f"累计支出{wan(spent)}万元",
        ),
        Kpi(
            "指标达标",
            f"{met}/{len(measured)}",
            "项",
            Rag(
                Level.GREEN
                if measured and met == len(measured)
                else Level.AMBER
                if met_share >= AMBER_SHARE
                else Level.RED
                if measured
                else Level.GREY,
                (
                    f"有数据的{len(measured)}项中达标或符合进度{met}项"
                    + (f"；滞后产品{len(lagging)}个" if lagging else "")
                )
                if measured
                else "暂无可计算的指标",
            ),
            indicators_url,
        ),
        Kpi(
            "月报按时",
            str(reports["totals"].get(SubmissionState.ON_TIME, 0)),
            "份",
            _reports_rag(reports["totals"]),
            dashboard.charts["reporting"]["url"],
        ),
        Kpi(
            "发放标签码",
            f"{trace['issued_total']:,}",
            "个",
            None,
            trace["issuance_url"],
            f"近{SCAN_DAYS}天扫码{sum(trace['scans']):,}次",
        ),
        Kpi(
            "防伪预警",
            str(trace["alerts_open"]),
            "条未处理",
            Rag(
                Level.GREEN if not trace["alerts_open"] else Level.RED,
                f"未处理{trace['alerts_open']}条，近{SCAN_DAYS}天新增{trace['alerts_raised']}条",
            ),
            trace["alert_url"],
        ),
    ]
