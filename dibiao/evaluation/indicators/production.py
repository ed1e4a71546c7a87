"""Indicators of production capacity and quality (plan 三(一), 三(二)): bases, scale operators,
farmers driven and their income, training, tests and production logs."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Sum

from dibiao.evaluation.indicators.base import (
    Context,
    Evidence,
    Measure,
    before_day_after,
    counts,
    day_start,
    first_rows,
    items_of,
    number,
    url,
)
from dibiao.producers.choices import BaseKind, BaseStatus, ProducerStatus
from dibiao.producers.models import FarmerLink, Producer, ProductionBase
from dibiao.producers.selectors import income_growth as growth_of
from dibiao.production.choices import LogStatus, TestKind
from dibiao.production.models import ProductionLog, TestReport, TrainingSession


def core_bases(ctx: Context) -> dict[int, Measure]:
    """Core production and variety-breeding bases of the product that are not out of use."""
    rows = ProductionBase.objects.filter(
        product_id__in=ctx.product_ids,
        kind__in=[BaseKind.CORE, BaseKind.BREEDING],
        created_at__lt=before_day_after(ctx.as_of),
    ).exclude(status=BaseStatus.INACTIVE)
    n = counts(rows.values("product_id").annotate(n=Count("pk")).order_by())
    firsts = first_rows(
        rows.select_related("producer"),
        partition="product_id",
        order_by=[F("created_at").asc(), F("pk").asc()],
        limit=ctx.items,
    )
    return {
        pid: Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    firsts.get(pid, []),
                    lambda b: f"{b.name}（{b.get_kind_display()}，{number(b.area_mu)} 亩）",
                    lambda b: url("producers:base-detail", b.pk),
                ),
                url("producers:base-list", product=pid),
            ),
        )
        for pid in ctx.by_product
    }


def scale_operators(ctx: Context) -> dict[int, Measure]:
    """Active entries of the directory flagged 规模生产经营主体 that produce the product."""
    rows = Producer.objects.filter(
        products__in=ctx.product_ids, is_scale_operator=True, status=ProducerStatus.ACTIVE
    )
    n = counts(
        rows.values(pid=F("products")).annotate(n=Count("pk", distinct=True)).order_by(), "pid"
    )
    firsts = first_rows(
        rows, partition="products", order_by=[F("name").asc(), F("pk").asc()], limit=ctx.items
    )
    return {
        pid: Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    firsts.get(pid, []),
                    lambda p: p.name,
                    lambda p: url("producers:producer-detail", p.pk),
                ),
                url("producers:producer-list", product=pid),
            ),
        )
        for pid in ctx.by_product
    }


def _farmer_rows(ctx: Context) -> dict[int, dict[int, list[FarmerLink]]]:
    """product → year → the FarmerLink rows of the product's producers, from the year before
    the program to the cut-off year (growth needs the year before)."""

    def load() -> dict[int, dict[int, list[FarmerLink]]]:
        rows = (
            FarmerLink.objects.filter(
                producer__products__in=ctx.product_ids,
                year__gte=ctx.year - 1,
                year__lte=ctx.as_of.year,
            )
            .annotate(pid=F("producer__products"))
            .select_related("producer")
            .order_by("producer__name", "producer_id", "year")
        )
        grouped: dict[int, dict[int, list[FarmerLink]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            grouped[row.pid][row.year].append(row)
        return grouped

    result: dict[int, dict[int, list[FarmerLink]]] = ctx.cached("farmer_rows", load)
    return result


def _latest_year(years: dict[int, list[FarmerLink]], first: int) -> int | None:
    """The latest year reported since the program's year: income is reported after a year ends,
    so the latest figure is what an evaluator has."""
    reported = [year for year in years if year >= first]
    return max(reported) if reported else None


def _farmer_items(ctx: Context, rows: list[FarmerLink], pid: int) -> Evidence:
    return Evidence(
        len(rows),
        items_of(
            rows[: ctx.items],
            lambda r: (
                f"{r.producer.name} {r.year}年：带动 {number(r.households)} 户、"
                f"{number(r.people)} 人，人均可支配收入 {number(r.per_capita_income, 2)} 元"
            ),
            lambda r: url("producers:farmer-list", r.producer_id),
        ),
        # Farmers are kept per producer: the product's producers, each with its farmers page.
        url("producers:producer-list", product=pid),
    )


def farmers_driven(ctx: Context) -> dict[int, Measure]:
    """People of the households driven, summed over the product's producers, in the latest
    year reported since the program's year."""
    grouped = _farmer_rows(ctx)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        years = grouped.get(pid, {})
        year = _latest_year(years, ctx.year)
        if year is None:
            result[pid] = Measure(None, Evidence(0, (), ""), "尚未填报带动农户情况")
            continue
        rows = years[year]
        people = sum(r.people for r in rows)
        households = sum(r.households for r in rows)
        result[pid] = Measure(
            Decimal(people),
            _farmer_items(ctx, rows, pid),
            f"{year}年：{len(rows)} 个主体带动 {number(households)} 户、{number(people)} 人",
            f"{year}年（最近填报年度）",
        )
    return result


def _weighted_income(rows: list[FarmerLink]) -> Decimal:
    people = sum(r.people for r in rows)
    if not people:
        return Decimal(0)
    return sum((r.per_capita_income * r.people for r in rows), Decimal(0)) / people


def income_growth(ctx: Context) -> dict[int, Measure]:
    """Growth of the per-capita income of the driven households (weighted by people) in the
    latest year reported since the program's year over the year before, counting only the
    producers that reported both years."""
    grouped = _farmer_rows(ctx)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        years = grouped.get(pid, {})
        year = _latest_year(years, ctx.year)
        if year is None:
            result[pid] = Measure(None, Evidence(), "尚未填报带动农户收入")
            continue
        previous = {r.producer_id: r for r in years.get(year - 1, [])}
        current = [r for r in years[year] if r.producer_id in previous]
        if not current:
            result[pid] = Measure(
                None, _farmer_items(ctx, years[year], pid), f"缺少{year - 1}年的收入，无法计算增幅"
            )
            continue
        before = [previous[r.producer_id] for r in current]
        now_income, before_income = _weighted_income(current), _weighted_income(before)
        growth = growth_of(now_income, before_income)
        result[pid] = Measure(
            growth,
            _farmer_items(ctx, [*current, *before], pid),
            f"{year}年人均可支配收入 {number(now_income, 2)} 元，"
            f"{year - 1}年 {number(before_income, 2)} 元",
            f"{year}年比{year - 1}年（最近填报年度）",
        )
    return result


def training(ctx: Context) -> dict[int, Measure]:
    """培训人次: the attendee counts of the product's training sessions in the program's year."""
    span = ctx.year_span
    rows = TrainingSession.objects.filter(
        product_id__in=ctx.product_ids, held_on__gte=span.start, held_on__lte=span.end
    )
    totals = {
        row["product_id"]: row
        for row in rows.values("product_id")
        .annotate(n=Count("pk"), person_times=Sum("attendee_count"))
        .order_by()
    }
    firsts = first_rows(
        rows,
        partition="product_id",
        order_by=[F("held_on").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        row = totals.get(pid, {"n": 0, "person_times": 0})
        result[pid] = Measure(
            Decimal(row["person_times"] or 0),
            Evidence(
                row["n"],
                items_of(
                    firsts.get(pid, []),
                    lambda s: f"{s.held_on:%Y-%m-%d} {s.topic}（{s.attendee_count} 人）",
                    lambda s: url("production:training-detail", s.pk),
                ),
                url("production:training-list", product=pid, year=ctx.year),
            ),
            f"{ctx.year}年培训 {row['n']} 期",
        )
    return result


def quality_tests(ctx: Context) -> dict[int, Measure]:
    """Quality and safety tests and nutrition evaluations of the product (any result) tested
    in the program period."""
    span = ctx.program_span
    rows = TestReport.objects.filter(
        product_id__in=ctx.product_ids, tested_on__gte=span.start, tested_on__lte=span.end
    )
    by_kind: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows.values("product_id", "kind").annotate(n=Count("pk")).order_by():
        by_kind[row["product_id"]][row["kind"]] = row["n"]
    firsts = first_rows(
        rows,
        partition="product_id",
        order_by=[F("tested_on").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        kinds = by_kind.get(pid, {})
        total = sum(kinds.values())
        result[pid] = Measure(
            Decimal(total),
            Evidence(
                total,
                items_of(
                    firsts.get(pid, []),
                    lambda r: (
                        f"{r.report_number} {r.get_kind_display()} "
                        f"{r.tested_on:%Y-%m-%d}（{r.get_result_display() or '—'}）"
                    ),
                    lambda r: url("production:report-detail", r.pk),
                ),
                url(
                    "production:report-list",
                    product=pid,
                    date_from=span.start.isoformat(),
                    date_to=span.end.isoformat(),
                ),
            ),
            f"质量安全检测 {kinds.get(TestKind.SAFETY, 0)} 次，"
            f"营养品质评价 {kinds.get(TestKind.NUTRITION, 0)} 次",
        )
    return result


def production_logs(ctx: Context) -> dict[int, Measure]:
    """Production logs (done, not planned) of the product in the program period. One grouped
    count over the (product, occurred_at) index."""
    span = ctx.program_span
    rows = ProductionLog.objects.filter(
        product_id__in=ctx.product_ids,
        occurred_at__gte=day_start(span.start),
        occurred_at__lt=before_day_after(span.end),
        status=LogStatus.DONE,
    )
    n = counts(rows.values("product_id").annotate(n=Count("pk")).order_by())
    firsts = first_rows(
        rows.select_related("base"),
        partition="product_id",
        order_by=[F("occurred_at").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    return {
        pid: Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    firsts.get(pid, []),
                    lambda log: (
                        f"{log.day:%Y-%m-%d} {log.get_kind_display()}·{log.title}"
                        f"（{log.base.name}）"
                    ),
                    lambda log: url("production:log-detail", log.pk),
                ),
                url(
                    "production:log-list",
                    product=pid,
                    status=LogStatus.DONE,
                    date_from=span.start.isoformat(),
                    date_to=span.end.isoformat(),
                ),
            ),
        )
        for pid in ctx.by_product
    }
