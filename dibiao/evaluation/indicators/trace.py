"""Indicators of identification and traceability (plan 三(四)): the label-use rate (用标率) of
producers and of labels, 承诺达标合格证 issued, and trace coverage of harvested batches."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Sum

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
    percent,
    url,
)
from dibiao.producers.choices import AuthorizationStatus, ProducerStatus
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.trace.choices import CertificateStatus, SegmentState
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, ComplianceCertificate

# Agreements that were in force at some time: their authorized quantity was granted.
GRANTED = (AuthorizationStatus.APPROVED, AuthorizationStatus.SUSPENDED, AuthorizationStatus.REVOKED)


def label_use_producers(ctx: Context) -> dict[int, Measure]:
    """Active producers of the product holding an agreement for it in force on the cut-off
    date, in per cent of the product's active producers."""
    producers = counts(
        Producer.objects.filter(products__in=ctx.product_ids, status=ProducerStatus.ACTIVE)
        .values(pid=F("products"))
        .annotate(n=Count("pk", distinct=True))
        .order_by(),
        "pid",
    )
    in_force = LabelAuthorization.objects.filter(
        product_id__in=ctx.product_ids,
        status=AuthorizationStatus.APPROVED,
        valid_from__lte=ctx.as_of,
        valid_until__gte=ctx.as_of,
        producer__status=ProducerStatus.ACTIVE,
        # Counted among the product's producers only, so the rate never passes 100 %.
        producer__products=F("product_id"),
    )
    users = counts(
        in_force.values("product_id").annotate(n=Count("producer_id", distinct=True)).order_by()
    )
    firsts = first_rows(
        in_force.select_related("producer"),
        partition="product_id",
        order_by=[F("valid_until").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        total, using = producers.get(pid, 0), users.get(pid, 0)
        result[pid] = Measure(
            percent(using, total),
            Evidence(
                using,
                items_of(
                    firsts.get(pid, []),
                    lambda a: (
                        f"{a.producer.name} 协议 {a.number}（{a.valid_from:%Y-%m-%d} 至 "
                        f"{a.valid_until:%Y-%m-%d}）"
                    ),
                    lambda a: url("producers:authorization-detail", a.pk),
                ),
                url(
                    "producers:authorization-list", product=pid, status=AuthorizationStatus.APPROVED
                ),
            ),
            f"{ctx.as_of:%Y-%m-%d} 持有效授权的主体 {using} 个 / 生产该产品的主体 {total} 个",
        )
    return result


def label_use_codes(ctx: Context) -> dict[int, Measure]:
    """Labels activated (codes bound to a batch) under the agreements of the program's years,
    in per cent of the labels those agreements authorized."""
    agreements = LabelAuthorization.objects.filter(
        product_id__in=ctx.product_ids,
        status__in=GRANTED,
        year__gte=ctx.year,
        year__lte=ctx.as_of.year,
    )
    authorized = {
        row["product_id"]: int(row["n"] or 0)
        for row in agreements.values("product_id").annotate(n=Sum("authorized_quantity")).order_by()
    }
    size = ExpressionWrapper(F("last_serial") - F("first_serial") + 1, output_field=IntegerField())
    used = {
        row["pid"]: int(row["n"] or 0)
        for row in CodeSegment.objects.filter(
            state=SegmentState.ACTIVE,
            issuance__authorization__in=agreements.values("pk"),
        )
        .values(pid=F("issuance__product_id"))
        .annotate(n=Sum(size))
        .order_by()
    }
    issuances = CodeIssuance.objects.filter(authorization__in=agreements.values("pk"))
    issued = counts(issuances.values("product_id").annotate(n=Count("pk")).order_by())
    firsts = first_rows(
        issuances.select_related("producer"),
        partition="product_id",
        order_by=[F("created_at").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        granted, active = authorized.get(pid, 0), used.get(pid, 0)
        result[pid] = Measure(
            percent(active, granted),
            Evidence(
                issued.get(pid, 0),
                items_of(
                    firsts.get(pid, []),
                    lambda i: f"{i.number} {i.producer.name} 发放 {number(i.count)} 枚",
                    lambda i: url("trace:issuance-detail", i.pk),
                ),
                url("trace:issuance-list", product=pid),
            ),
            f"已激活（绑定批次）{number(active)} 枚 / 授权 {number(granted)} 枚",
        )
    return result


def certificates(ctx: Context) -> dict[int, Measure]:
    """承诺达标合格证 issued (not voided) for batches of the product in the program period."""
    span = ctx.program_span
    rows = ComplianceCertificate.objects.filter(
        batch__product_id__in=ctx.product_ids,
        status=CertificateStatus.ISSUED,
        issued_at__gte=day_start(span.start),
        issued_at__lt=before_day_after(span.end),
    )
    n = counts(rows.values(pid=F("batch__product_id")).annotate(n=Count("pk")).order_by(), "pid")
    firsts = first_rows(
        rows.select_related("batch"),
        partition="batch__product_id",
        order_by=[F("issued_at").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    names = {a.product_id: a.product.name for a in ctx.allocations}
    return {
        pid: Measure(
            Decimal(n.get(pid, 0)),
            Evidence(
                n.get(pid, 0),
                items_of(
                    firsts.get(pid, []),
                    lambda c: f"{c.number}（批次 {c.batch.number}，{c.issued_at:%Y-%m-%d}）",
                    lambda c: url("trace:certificate-detail", c.pk),
                ),
                url("trace:certificate-list", q=names[pid], status=CertificateStatus.ISSUED),
            ),
        )
        for pid in ctx.by_product
    }


def trace_coverage(ctx: Context) -> dict[int, Measure]:
    """Harvested batches (made from harvest logs) of the product in the program period that
    carry label codes bound to them, in per cent of those batches."""
    span = ctx.program_span
    harvested = Batch.harvest_logs.through.objects.filter(batch_id=OuterRef("pk"))
    coded = CodeSegment.objects.filter(batch_id=OuterRef("pk"), state=SegmentState.ACTIVE)
    rows = Batch.objects.filter(
        Exists(harvested),
        product_id__in=ctx.product_ids,
        harvest_date__gte=span.start,
        harvest_date__lte=span.end,
    ).annotate(coded=Exists(coded))
    totals = {
        row["product_id"]: row
        for row in rows.values("product_id")
        .annotate(n=Count("pk"), with_codes=Count("pk", filter=Exists(coded)))
        .order_by()
    }
    firsts = first_rows(
        rows,
        partition="product_id",
        order_by=[F("harvest_date").desc(), F("pk").desc()],
        limit=ctx.items,
    )
    result: dict[int, Measure] = {}
    for pid in ctx.by_product:
        row = totals.get(pid, {"n": 0, "with_codes": 0})
        result[pid] = Measure(
            percent(row["with_codes"], row["n"]),
            Evidence(
                row["n"],
                items_of(
                    firsts.get(pid, []),
                    lambda b: (
                        f"{b.number} 采收 {b.harvest_date:%Y-%m-%d}"
                        + ("，已赋码" if b.coded else "，未赋码")
                    ),
                    lambda b: url("trace:batch-detail", b.pk),
                ),
                url(
                    "trace:batch-list",
                    product=pid,
                    date_from=span.start.isoformat(),
                    date_to=span.end.isoformat(),
                ),
            ),
            f"采收批次 {row['n']} 个，已赋码 {row['with_codes']} 个",
        )
    return result
