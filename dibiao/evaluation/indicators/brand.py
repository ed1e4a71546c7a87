"""Indicators of brand building (plan 三(三), 五(四)): the promotional video, national and
provincial media reports, expos and promotion events.

The brand app's selectors (`dibiao.brand.selectors`) answer for one product; the table of a whole
program needs one grouped count per indicator instead. The counts below apply the selectors'
rules (a report counts on its publication day, an event on its first day) to many products at
once, and `tests/test_indicators.py` holds them equal to the selectors'. The evidence items of a
product are read through the selectors themselves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F
from django.db.models.functions import ExtractQuarter

from dibiao.brand import selectors as brand
from dibiao.brand.choices import EventLevel, MediaLevel
from dibiao.brand.models import Exhibition, MediaReport, PromoVideo
from dibiao.evaluation.indicators.base import (
    Context,
    Evidence,
    Measure,
    Span,
    counts,
    items_of,
    url,
)
from dibiao.registry.models import GIProduct

# 全国性、全省性展会及推介活动 (an international expo counts as well).
EXPO_LEVELS = (EventLevel.INTERNATIONAL, EventLevel.NATIONAL, EventLevel.PROVINCIAL)
QUARTER_NAMES = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


def _products(ctx: Context) -> dict[int, GIProduct]:
    return {a.product_id: a.product for a in ctx.allocations}


def _media_items(ctx: Context, pid: int, level: str, span: Span) -> Evidence:
    return Evidence(
        0,
        items_of(
            brand.media_reports(
                product=_products(ctx)[pid], level=level, start=span.start, end=span.end
            ).order_by("-published_on", "-id")[: ctx.items]
            if ctx.items
            else [],
            lambda r: f"{r.published_on:%Y-%m-%d} {r.outlet}《{r.title}》",
            lambda r: r.get_absolute_url(),
        ),
        url("brand:report-list", product=pid, level=level),
    )


def media_counts(ctx: Context, level: str, span: Span) -> dict[int, int]:
    """Reports of `level` per product published within `span` (`brand.media_reports`)."""
    return counts(
        MediaReport.objects.filter(
            product_id__in=ctx.product_ids,
            level=level,
            published_on__gte=span.start,
            published_on__lte=span.end,
        )
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _media(ctx: Context, level: str, span: Span, what: str) -> dict[int, Measure]:
    n = media_counts(ctx, level, span)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        evidence = _media_items(ctx, pid, level, span)
        result[pid] = Measure(
            Decimal(n.get(pid, 0)),
            Evidence(n.get(pid, 0), evidence.items, evidence.list_url),
            f"{span.label()}{what} {n.get(pid, 0)} 篇",
        )
    return result


def national_media(ctx: Context) -> dict[int, Measure]:
    return _media(ctx, MediaLevel.NATIONAL, ctx.program_span, "国家级媒体报道")


def provincial_media_year(ctx: Context) -> dict[int, Measure]:
    return _media(ctx, MediaLevel.PROVINCIAL, ctx.year_span, "省级媒体报道")


def _quarters(ctx: Context) -> list[int]:
    """The program year's quarters to judge: those ended by the cut-off date, or the current
    one when none has ended yet (a quarter still running is not yet short)."""
    ended = [q for q in (1, 2, 3, 4) if dt.date(ctx.year, q * 3, 1) < ctx.as_of.replace(day=1)]
    if ended:
        return ended
    return [1] if ctx.as_of.year >= ctx.year else []


def provincial_media_quarter(ctx: Context) -> dict[int, Measure]:
    """The fewest provincial reports in any judged quarter of the program's year (the target
    is at least one in every quarter)."""
    span = ctx.year_span
    by_quarter: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        MediaReport.objects.filter(
            product_id__in=ctx.product_ids,
            level=MediaLevel.PROVINCIAL,
            published_on__gte=span.start,
            published_on__lte=span.end,
        )
        .annotate(quarter=ExtractQuarter("published_on"))
        .values("product_id", "quarter")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        by_quarter[row["product_id"]][row["quarter"]] = row["n"]
    judged = _quarters(ctx)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        per = by_quarter.get(pid, {})
        evidence = _media_items(ctx, pid, MediaLevel.PROVINCIAL, span)
        if not judged:
            result[pid] = Measure(None, evidence, "工程年度尚未开始")
            continue
        fewest = min(per.get(q, 0) for q in judged)
        detail = "，".join(f"{QUARTER_NAMES[q]} {per.get(q, 0)} 篇" for q in judged)
        result[pid] = Measure(
            Decimal(fewest),
            Evidence(sum(per.values()), evidence.items, evidence.list_url),
            f"{ctx.year}年{detail}",
        )
    return result


def promo_videos(ctx: Context) -> dict[int, Measure]:
    """Promotional videos of the product published by the cut-off date
    (`brand.promo_videos`)."""
    n = counts(
        PromoVideo.objects.filter(product_id__in=ctx.product_ids, published_on__lte=ctx.as_of)
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    products = _products(ctx)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        rows = (
            brand.promo_videos(product=products[pid]).filter(published_on__lte=ctx.as_of)[
                : ctx.items
            ]
            if ctx.items
            else []
        )
        result[pid] = Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    rows,
                    lambda v: f"《{v.title}》{v.published_on:%Y-%m-%d}，{v.platforms}",
                    lambda v: v.get_absolute_url(),
                ),
                url("brand:video-list", product=pid),
            ),
        )
    return result


def expos(ctx: Context) -> dict[int, Measure]:
    """National and provincial (or international) expos and promotion events that showed the
    product and began in the program period (`brand.exhibitions`)."""
    span = ctx.program_span
    n = counts(
        Exhibition.objects.filter(
            products__in=ctx.product_ids,
            level__in=EXPO_LEVELS,
            start_on__gte=span.start,
            start_on__lte=span.end,
        )
        .values(pid=F("products"))
        .annotate(n=Count("pk", distinct=True))
        .order_by(),
        "pid",
    )
    products = _products(ctx)
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        rows = (
            brand.exhibitions(product=products[pid], start=span.start, end=span.end)
            .filter(level__in=EXPO_LEVELS)
            .order_by("-start_on", "-id")[: ctx.items]
            if ctx.items
            else []
        )
        result[pid] = Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    rows,
                    lambda e: f"{e.start_on:%Y-%m-%d} {e.name}（{e.get_level_display()}）",
                    lambda e: e.get_absolute_url(),
                ),
                url("brand:exhibition-list", product=pid),
            ),
        )
    return result
