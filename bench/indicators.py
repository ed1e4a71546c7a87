"""`make bench-indicators`: the indicator catalogue (issue 8) at national scale.

Three figures per database, the first two printed with their targets:

1. **The whole program.** `indicators_compute(program=...)` for a program of 3,500 products
   (allocations) over 10^7 production-log rows and the other records the indicators read (see
   `build` below): seconds for every indicator of every product (target ≤ 60 s), its SQL query
   count (it must not grow with the products), and the seconds of each indicator.
2. **One product's page.** `indicators_compute(program=..., allocations=[one], items=5)` — what
   the product's indicator page and `GET /api/v1/indicators/?program=&product=` compute, with
   the evidence records — for random products: p50 / p99 / max (target ≤ 1 s).
3. **The province's dashboard** (`/reports/dashboard/`): seconds and SQL queries (no target in
   the issue; it is the whole program's indicators plus a few grouped queries).

The data is made once per database and kept for the next run (`--rebuild` makes it again): the
records around the logs with `bulk_create`, the 10^7 logs with one `INSERT … SELECT` over a
recursive CTE (SQLite) or `generate_series` (PostgreSQL), in the order of the
(product, occurred_at) index so that the index is appended to rather than split. SQLite lives in
var/bench/indicators-<products>-<logs>.sqlite3 (about 2.5 GB at full size), PostgreSQL in the
database bench_indicators_<products>_<logs> on the server of --pg-url (default: DATABASE_URL when
it names PostgreSQL, else postgresql://postgres@127.0.0.1:5432/postgres; skipped with a note when
the server does not answer). Building takes a few minutes per database. It is a benchmark, not a
test: it prints and exits 0.

    .venv/bin/python -m bench.indicators                  # SQLite and PostgreSQL, full size
    .venv/bin/python -m bench.indicators --quick          # 350 products, 10^6 logs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
WHOLE_TARGET_S = 60.0
ONE_TARGET_S = 1.0
BATCH = 5_000
CITIES = 50
YEAR = 2021


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- Child: one database -----------------------------------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _aware(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def _bulk(model: Any, rows: list[Any]) -> list[Any]:
    return list(model.objects.bulk_create(rows, batch_size=BATCH))


def _contiguous(rows: list[Any]) -> int:
    """The first id of rows whose ids run without a gap (the log fill computes ids from it)."""
    ids = [r.pk for r in rows]
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise RuntimeError("ids are not contiguous; run with --rebuild on a new database")
    return int(ids[0])


def build(products: int, logs: int) -> None:
    from django.db import connection, transaction

    from dibiao.accounts.choices import OrganizationKind
    from dibiao.accounts.models import Organization, User
    from dibiao.brand.choices import EventLevel, MediaLevel
    from dibiao.brand.models import Exhibition, MediaReport, PromoVideo
    from dibiao.core.models import Division
    from dibiao.dispatch.choices import ReportKind, ReportStatus
    from dibiao.dispatch.models import DispatchReport, InspectionVisit
    from dibiao.producers.choices import AuthorizationStatus, BaseKind, ProducerKind
    from dibiao.producers.models import FarmerLink, LabelAuthorization, Producer, ProductionBase
    from dibiao.production.choices import TestKind, TestResult
    from dibiao.production.models import TestReport, TrainingSession
    from dibiao.projects.choices import EntryKind, EntryStatus, ImplementationArea, ProgramStatus
    from dibiao.projects.models import Allocation, FundEntry, Program
    from dibiao.projects.services import program_create
    from dibiao.registry.models import GIProduct
    from dibiao.trace.choices import CertificateBasis, SegmentState
    from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, ComplianceCertificate

    started = time.perf_counter()
    per_city = -(-products // CITIES)
    with transaction.atomic():
        province = Division.objects.create(
            code="990000", name="基准省", level="province", path="990000"
        )
        cities = _bulk(
            Division,
            [
                Division(
                    code=f"99{c:02d}00",
                    name=f"基准市{c:02d}",
                    level="city",
                    parent=province,
                    path=f"990000/99{c:02d}00",
                )
                for c in range(1, CITIES + 1)
            ],
        )
        counties = _bulk(
            Division,
            [
                Division(
                    code=f"99{c:02d}{n:02d}",
                    name=f"基准县{c:02d}{n:02d}",
                    level="county",
                    parent=city,
                    path=f"{city.path}/99{c:02d}{n:02d}",
                )
                for c, city in enumerate(cities, start=1)
                for n in range(1, per_city + 1)
            ][:products],
        )
        lab = Organization.objects.create(
            name="基准检测机构", kind=OrganizationKind.LAB, division=province
        )
        bureaus = _bulk(
            Organization,
            [
                Organization(
                    name=f"{c.name}农业农村局", kind=OrganizationKind.CITY_BUREAU, division=c
                )
                for c in cities
            ],
        )
        recorder = User.objects.create(username="bench_recorder", full_name="记账人")
        reviewer = User.objects.create(username="bench_reviewer", full_name="审核人")
        program = program_create(
            actor=None,
            province=province,
            year=YEAR,
            name=f"{YEAR}年基准保护工程",
            total_budget=Decimal(3_000_000) * products,
            annual_summary_deadline=dt.date(YEAR, 11, 30),
        )
        items = _bulk(
            GIProduct,
            [GIProduct(name=f"基准产品{n:05d}", category="fruit_tea") for n in range(products)],
        )
        GIProduct.divisions.through.objects.bulk_create(
            [
                GIProduct.divisions.through(giproduct_id=p.pk, division_id=c.pk)
                for p, c in zip(items, counties, strict=True)
            ],
            batch_size=BATCH,
        )
        allocations = _bulk(
            Allocation,
            [
                Allocation(
                    program=program,
                    product=p,
                    division=c,
                    amount=Decimal(3_000_000),
                    allocated_at=_aware(dt.date(YEAR, 5, 1)),
                    disbursed_on=dt.date(YEAR, 6, 1) + dt.timedelta(days=n % 40),
                )
                for n, (p, c) in enumerate(zip(items, counties, strict=True))
            ],
        )
        Program.objects.filter(pk=program.pk).update(
            allocated_total=Decimal(3_000_000) * products, status=ProgramStatus.IMPLEMENTING
        )
        operators = _bulk(
            Producer,
            [
                Producer(
                    name=f"基准合作社{n:05d}",
                    kind=ProducerKind.COOPERATIVE,
                    division=c,
                    is_scale_operator=True,
                )
                for n, c in enumerate(counties)
            ],
        )
        households = _bulk(
            Producer,
            [
                Producer(name=f"基准大户{n:05d}", kind=ProducerKind.LARGE_HOUSEHOLD, division=c)
                for n, c in enumerate(counties)
            ],
        )
        Producer.products.through.objects.bulk_create(
            [
                Producer.products.through(producer_id=o.pk, giproduct_id=p.pk)
                for o, p in zip(operators, items, strict=True)
            ]
            + [
                Producer.products.through(producer_id=h.pk, giproduct_id=p.pk)
                for h, p in zip(households, items, strict=True)
            ],
            batch_size=BATCH,
        )
        bases = _bulk(
            ProductionBase,
            [
                ProductionBase(
                    producer=o,
                    product=p,
                    kind=BaseKind.CORE,
                    name="核心基地",
                    division=o.division,
                    area_mu=Decimal(500),
                    created_at=_aware(dt.date(YEAR, 3, 1)),
                )
                for o, p in zip(operators, items, strict=True)
            ],
        )
        _bulk(
            FarmerLink,
            [
                FarmerLink(
                    producer=o,
                    year=year,
                    households=200 + n % 300,
                    people=600 + n % 900,
                    per_capita_income=Decimal(12000 + (year - YEAR) * 1300 + n % 500),
                )
                for n, o in enumerate(operators)
                for year in (YEAR - 1, YEAR)
            ],
        )
        authorizations = _bulk(
            LabelAuthorization,
            [
                LabelAuthorization(
                    producer=o,
                    product=p,
                    year=YEAR,
                    number=f"B-{n:05d}",
                    qualifications="-",
                    production_plan="-",
                    quality_measures="-",
                    requested_quantity=100_000,
                    scope="-",
                    status=AuthorizationStatus.APPROVED,
                    authorized_quantity=100_000,
                    valid_from=dt.date(YEAR, 1, 1),
                    valid_until=dt.date(YEAR + 10, 12, 31),
                )
                for n, (o, p) in enumerate(zip(operators, items, strict=True))
            ],
        )
        issuances = _bulk(
            CodeIssuance,
            [
                CodeIssuance(
                    number=f"LC-{n:05d}",
                    authorization=a,
                    producer_id=a.producer_id,
                    product_id=a.product_id,
                    key_id=1,
                    first_serial=n * 10_000 + 1,
                    last_serial=(n + 1) * 10_000,
                    count=10_000,
                )
                for n, a in enumerate(authorizations)
            ],
        )
        batches = _bulk(
            Batch,
            [
                Batch(
                    number=f"B{n:05d}-{k}",
                    product_id=o_p[1].pk,
                    producer=o_p[0],
                    base=b,
                    quantity=Decimal(1000),
                    unit="千克",
                    harvest_date=dt.date(YEAR, 9, 1 + k),
                )
                for n, (o_p, b) in enumerate(
                    zip(zip(operators, items, strict=True), bases, strict=True)
                )
                for k in (0, 1)
            ],
        )
        by_product = {b.product_id: b for b in batches}  # the second batch of each product
        _bulk(
            CodeSegment,
            [
                CodeSegment(
                    issuance=i,
                    first_serial=i.first_serial,
                    last_serial=i.first_serial + 5_999,
                    state=SegmentState.ACTIVE,
                    batch=by_product[i.product_id],
                )
                for i in issuances
            ]
            + [
                CodeSegment(
                    issuance=i,
                    first_serial=i.first_serial + 6_000,
                    last_serial=i.last_serial,
                    state=SegmentState.ISSUED,
                )
                for i in issuances
            ],
        )
        _bulk(
            ComplianceCertificate,
            [
                ComplianceCertificate(
                    number=f"HG{n:06d}",
                    batch=b,
                    producer_id=b.producer_id,
                    product_name="基准",
                    quantity=Decimal(100),
                    unit="千克",
                    origin="基准县",
                    basis=CertificateBasis.QUALITY_CONTROL,
                    contact="0351-0000000",
                    issued_at=_aware(dt.date(YEAR, 9, 20)),
                    keep_until=dt.date(YEAR + 2, 9, 20),
                )
                for n, b in enumerate(batches)
            ],
        )
        _bulk(
            TrainingSession,
            [
                TrainingSession(
                    product=p,
                    division=c,
                    organizer=bureaus[(n // per_city) % len(bureaus)],
                    held_on=dt.date(YEAR, month, 10),
                    place="培训室",
                    topic="按标生产",
                    trainer="专家",
                    attendee_count=150 + n % 60,
                )
                for n, (p, c) in enumerate(zip(items, counties, strict=True))
                for month in (3, 6, 9)
            ],
        )
        _bulk(
            TestReport,
            [
                TestReport(
                    kind=TestKind.SAFETY,
                    lab=lab,
                    report_number=f"R{n:05d}",
                    product=p,
                    producer=o,
                    sample_code=f"S{n:05d}",
                    sampled_on=dt.date(YEAR, 9, 2),
                    tested_on=dt.date(YEAR, 9, 5),
                    result=TestResult.PASS,
                )
                for n, (p, o) in enumerate(zip(items, operators, strict=True))
            ],
        )
        _bulk(
            MediaReport,
            [
                MediaReport(
                    product=p,
                    outlet="山西日报",
                    level=MediaLevel.PROVINCIAL,
                    published_on=dt.date(YEAR, month, 15),
                    title=f"报道{month}",
                )
                for p in items
                for month in (2, 5, 8, 11)
            ]
            + [
                MediaReport(
                    product=p,
                    outlet="人民日报",
                    level=MediaLevel.NATIONAL,
                    published_on=dt.date(YEAR, 10, 1),
                    title="国家级报道",
                )
                for p in items
            ],
        )
        _bulk(
            PromoVideo,
            [
                PromoVideo(
                    product=p,
                    title="宣传片",
                    duration_seconds=300,
                    published_on=dt.date(YEAR, 10, 1),
                    platforms="央视频",
                )
                for p in items
            ],
        )
        expos = _bulk(
            Exhibition,
            [
                Exhibition(
                    name=f"展会{n}",
                    level=EventLevel.NATIONAL,
                    start_on=dt.date(YEAR, 11, 1),
                    end_on=dt.date(YEAR, 11, 3),
                    place="北京",
                )
                for n in range(-(-products // 35))
            ],
        )
        Exhibition.products.through.objects.bulk_create(
            [
                Exhibition.products.through(exhibition_id=expos[n // 35].pk, giproduct_id=p.pk)
                for n, p in enumerate(items)
            ],
            batch_size=BATCH,
        )
        _bulk(
            FundEntry,
            [
                FundEntry(
                    allocation=a,
                    kind=EntryKind.PAYMENT,
                    voucher_number=f"V{a.pk}-{k}",
                    paid_on=a.disbursed_on + dt.timedelta(days=20 + 60 * k),
                    payee="合作社",
                    amount=Decimal(900_000),
                    area=ImplementationArea.PRODUCTION,
                    status=EntryStatus.APPROVED,
                    recorded_by=recorder,
                    reviewed_by=reviewer,
                )
                for a in allocations
                for k in range(3)
            ],
        )
        reports = []
        for a in allocations:
            for month in range(1, 13):
                due = dt.date(YEAR + (month == 12), month % 12 + 1, 5)
                late = (a.pk + month) % 5 == 0
                reports.append(
                    DispatchReport(
                        allocation=a,
                        kind=ReportKind.MONTHLY,
                        period_start=dt.date(YEAR, month, 1),
                        due_date=due,
                        status=ReportStatus.SUBMITTED,
                        summary="进展",
                        created_by=recorder,
                        submitted_by=recorder,
                        submitted_at=_aware(due + dt.timedelta(days=3 if late else -2)),
                        submitted_late=late,
                    )
                )
            reports.append(
                DispatchReport(
                    allocation=a,
                    kind=ReportKind.ANNUAL,
                    period_start=dt.date(YEAR, 1, 1),
                    due_date=dt.date(YEAR, 11, 30),
                    status=ReportStatus.SUBMITTED,
                    summary="总结",
                    created_by=recorder,
                    submitted_by=recorder,
                    submitted_at=_aware(dt.date(YEAR, 11, 28)),
                    submitted_late=False,
                )
            )
        _bulk(DispatchReport, reports)
        _bulk(
            InspectionVisit,
            [
                InspectionVisit(
                    program=program,
                    division=c,
                    visited_on=dt.date(YEAR, 9, 15),
                    inspectors="督导组",
                    findings="无",
                    recorded_by=reviewer,
                )
                for c in counties
            ],
        )
        first_product, first_base = _contiguous(items), _contiguous(bases)
    print(f"   records around the logs: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    _fill_logs(connection, logs, products, first_product, first_base)
    print(f"   {logs:,} production logs: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with transaction.atomic():
        # Each batch comes from the first log of its product (a harvest in the real world).
        per_product = logs // products
        Batch.harvest_logs.through.objects.bulk_create(
            [
                Batch.harvest_logs.through(
                    batch_id=b.pk, productionlog_id=(b.product_id - first_product) * per_product + 1
                )
                for b in batches
            ],
            batch_size=BATCH,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"   links and ANALYZE: {time.perf_counter() - started:.0f} s")


def _fill_logs(
    connection: Any, logs: int, products: int, first_product: int, first_base: int
) -> None:
    """10^7 rows in (product, time) order. Log n belongs to product n // per_product, and its
    time steps through the program period and beyond (every 2 hours per product)."""
    per_product = logs // products
    columns = (
        "kind, occurred_at, base_id, product_id, title, operator, quantity, unit, notes, status, "
        "input_category, input_name, registration_number, active_ingredient, dose, created_at, updated_at"
    )
    kinds = (
        "CASE n % 6 WHEN 0 THEN 'activity' WHEN 1 THEN 'observation' WHEN 2 THEN 'maintenance' "
        "WHEN 3 THEN 'activity' WHEN 4 THEN 'observation' ELSE 'seeding' END"
    )
    status = "CASE WHEN n % 20 = 0 THEN 'pending' ELSE 'done' END"
    # Integers and constants only, no input: the statement is ours.
    if connection.vendor == "sqlite":
        sql = f"""
            WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < {per_product * products - 1})
            INSERT INTO production_productionlog ({columns})
            SELECT {kinds},
                   strftime('%Y-%m-%d %H:%M:%S', '{YEAR}-01-01 00:00:00', '+' || ((n % {per_product}) * 2) || ' hours'),
                   {first_base} + n / {per_product}, {first_product} + n / {per_product},
                   '基准日志', '基准', NULL, '', '', {status}, '', '', '', '', '',
                   '{YEAR}-01-01 00:00:00', '{YEAR}-01-01 00:00:00'
            FROM seq
        """  # noqa: S608
    else:
        sql = f"""
            INSERT INTO production_productionlog ({columns})
            SELECT {kinds},
                   timestamptz '{YEAR}-01-01 00:00:00+00' + ((n % {per_product}) * 2) * interval '1 hour',
                   {first_base} + n / {per_product}, {first_product} + n / {per_product},
                   '基准日志', '基准', NULL, '', '', {status}, '', '', '', '', '',
                   timestamptz '{YEAR}-01-01 00:00:00+00', timestamptz '{YEAR}-01-01 00:00:00+00'
            FROM generate_series(0, {per_product * products - 1}) AS n
        """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)


def measure(singles: int, rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dibiao.evaluation.indicators import CATALOGUE, indicators_compute
    from dibiao.evaluation.indicators.base import Context
    from dibiao.production.models import ProductionLog
    from dibiao.projects.models import Allocation, Program

    program = Program.objects.get(year=YEAR, province__code="990000")
    allocations = list(
        Allocation.objects.filter(program=program).select_related("program", "product", "division")
    )
    log_rows = ProductionLog.objects.count()
    print(f"   {len(allocations):,} products, {log_rows:,} production logs")
    indicators_compute(
        program=program, allocations=allocations[:1], items=5
    )  # URL resolver, caches

    whole: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            rows = indicators_compute(program=program)
        whole.append(time.perf_counter() - started)
    cells = sum(len(r.values) for r in rows)
    best, median = min(whole), statistics.median(whole)
    print(
        f"1. whole program: {len(rows):,} products × {len(CATALOGUE)} indicators = {cells:,} values;"
        f" {len(queries)} SQL queries; best {best:.1f} s, median {median:.1f} s of {rounds}"
        f" [target ≤ {WHOLE_TARGET_S:.0f} s: {_verdict(median <= WHOLE_TARGET_S)}]"
    )
    context = Context(
        program=program, allocations=allocations, as_of=dt.date.today(), whole_program=True
    )
    parts = []
    for indicator in CATALOGUE:
        started = time.perf_counter()
        indicator.compute(context)
        parts.append((time.perf_counter() - started, indicator.code))
    print(
        "   by indicator: "
        + ", ".join(f"{code} {s:.2f}" for s, code in sorted(parts, reverse=True))
    )

    chosen = random.Random(2021).sample(allocations, min(singles, len(allocations)))
    timings: list[float] = []
    counts: list[int] = []
    for allocation in chosen:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            (_row,) = indicators_compute(program=program, allocations=[allocation], items=5)
        timings.append(time.perf_counter() - started)
        counts.append(len(queries))
    ordered = sorted(timings)
    p99 = ordered[max(0, round(len(ordered) * 0.99) - 1)]
    print(
        f"2. one product with its evidence: p50 {statistics.median(ordered) * 1000:.0f} ms,"
        f" p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms over {len(ordered)} products;"
        f" {min(counts)}–{max(counts)} SQL queries"
        f" [target ≤ {ONE_TARGET_S:.0f} s: {_verdict(ordered[-1] <= ONE_TARGET_S)}]"
    )

    # 3. The province's dashboard (dibiao/reports/dashboard.py): the indicators of every product
    # plus the funds by month, the reports' states and the trace figures.
    from dibiao.accounts.choices import Role
    from dibiao.accounts.models import User
    from dibiao.reports.dashboard import dashboard_for_user
    from dibiao.testing.factories import user_with_role

    viewer = User.objects.filter(username="bench_province").first() or user_with_role(
        Role.PROVINCE_ADMIN, program.province, username="bench_province"
    )
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        board = dashboard_for_user(user=viewer, program=program)
    dashboard_s = time.perf_counter() - started
    print(
        f"3. province dashboard: {len(board.rows):,} products, {len(queries)} SQL queries,"
        f" {dashboard_s:.1f} s"
    )
    return {"whole_s": median, "one_max_s": ordered[-1], "dashboard_s": dashboard_s}


def child(args: argparse.Namespace) -> None:
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    marker = Path(args.marker)
    print(f"== {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if not marker.exists():
        print("   building the data (kept for the next run)", flush=True)
        build(args.products, args.logs)
        marker.write_text(json.dumps({"products": args.products, "logs": args.logs}))
    measure(args.singles, args.rounds)


# --- Parent --------------------------------------------------------------------------------------


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DIBIAO_VAR_DIR": str(OUT),
        "DIBIAO_ENVIRONMENT": "development",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DIBIAO_LEDGER_WITNESS": str(OUT / "indicators-witness.jsonl"),
    }


def _default_pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return (
        url
        if url.startswith(("postgres://", "postgresql://"))
        else "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def _pg_database(pg_url: str, name: str, rebuild: bool, marker: Path) -> str | None:
    import psycopg

    admin = urlunsplit(urlsplit(pg_url)._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and (rebuild or not marker.exists()):
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                marker.unlink(missing_ok=True)
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"== postgresql: skipped ({str(exc).strip().splitlines()[0]})")
        return None
    return urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.indicators", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--products", type=int, default=3_500)
    parser.add_argument("--logs", type=int, default=10_000_000)
    parser.add_argument("--singles", type=int, default=30, help="products timed one by one")
    parser.add_argument("--rounds", type=int, default=3, help="runs of the whole program")
    parser.add_argument("--quick", action="store_true", help="350 products, 10^6 logs")
    parser.add_argument("--rebuild", action="store_true", help="make the data again")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default=_default_pg_url())
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--marker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.products, args.logs = 350, 1_000_000
    if args.child:
        child(args)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    size = f"{args.products}-{args.logs}"
    print(f"Indicators of {args.products:,} products over {args.logs:,} production logs")
    targets: list[tuple[str, str, Path]] = []
    if args.only != "postgresql":
        path = OUT / f"indicators-{size}.sqlite3"
        marker = OUT / f"indicators-{size}.sqlite3.json"
        if args.rebuild or not marker.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
        targets.append(("sqlite", f"sqlite:///{path}", marker))
    if args.only != "sqlite":
        marker = OUT / f"indicators-{size}.postgresql.json"
        url = _pg_database(
            args.pg_url, f"bench_indicators_{args.products}_{args.logs}", args.rebuild, marker
        )
        if url:
            targets.append(("postgresql", url, marker))
    for _, url, marker in targets:
        command = [
            sys.executable,
            "-m",
            "bench.indicators",
            "--child",
            "--marker",
            str(marker),
            "--products",
            str(args.products),
            "--logs",
            str(args.logs),
            "--singles",
            str(args.singles),
            "--rounds",
            str(args.rounds),
        ]
        # Our own command line from constants and integers: no shell, no user input.
        subprocess.run(command, cwd=ROOT, env=_env(url), check=False)  # noqa: S603
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
