"""`make bench-producers`: the producer directory and production logs at county-bureau scale.

Three figures, each printed with what it measured:

1. **Directory import.** An Excel file of N producers (default 20,000, all valid) through the
   real import service: seconds, rows per second, peak Python memory (tracemalloc) and SQL
   queries. Then the same file with 3 bad rows: the time to report them (nothing imported).
2. **Logs under the pre-harvest check.** A base that already has L logs (default 10,000, a
   quarter of them inputs with intervals): p50/p99 of writing one more log through `log_create`
   (base-row lock, interval query, banned-list match, audit row) and its query count. The query
   count must not grow with L.
3. **Directory list API** with P producers in the province (default 50,000): p50/p99 and the
   query count of page 1 for the province administrator and for one county's administrator.

It runs on its own SQLite file under var/bench/ (rebuilt every run), or on the database named by
DATABASE_URL (a PostgreSQL database it may fill). It is a benchmark, not a test: it prints and
exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"


def _setup() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "producers.sqlite3"
    if "DATABASE_URL" not in os.environ:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DIBIAO_VAR_DIR", str(OUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[max(0, round(len(ordered) * 0.99) - 1)]
    return f"p50 {statistics.median(ordered):7.2f} ms   p99 {p99:7.2f} ms"


def _workbook(rows: int, *, bad: set[int], offset: int = 0) -> bytes:
    from openpyxl import Workbook

    from dibiao.core.identifiers import credit_code_check_char

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("主体")
    sheet.append(
        [
            "主体名称",
            "主体类型",
            "统一社会信用代码",
            "联系电话",
            "所在县",
            "地理标志产品",
            "规模生产经营主体",
        ]
    )
    counties = ["清徐县", "阳高县", "广灵县", "平定县", "沁水县", "平鲁区", "闻喜县", "偏关县"]
    for n in range(offset, offset + rows):
        first17 = f"93140100MB{n:07d}"
        code = first17 + credit_code_check_char(first17)
        if n - offset in bad:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check character
        sheet.append(
            [
                f"基准测试合作社{n:06d}",
                "农民专业合作社",
                code,
                f"139{n:08d}",
                counties[n % len(counties)],
                "",
                "是" if n % 10 == 0 else "否",
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "主体.xlsx",
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def bench_import(rows: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dibiao.accounts.models import User
    from dibiao.producers.services.directory import producer_import

    admin = User.objects.get(username="province_admin")
    content = _workbook(rows, bad=set())
    print(f"\n1. Directory import: {rows:,} rows, {len(content) / 1e6:.1f} MB xlsx")
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        report = producer_import(actor=admin, upload=_upload(content), only_valid=False)
    seconds = time.perf_counter() - started
    print(
        f"   imported {report.imported:,} in {seconds:.1f} s ({rows / seconds:,.0f} rows/s), "
        f"{len(queries)} SQL queries"
    )
    # Memory is measured on a separate file: tracemalloc slows Python down severalfold.
    content = _workbook(rows, bad=set(), offset=2 * rows)
    tracemalloc.start()
    producer_import(actor=admin, upload=_upload(content), only_valid=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"   peak Python memory of an import of {rows:,} rows: {peak / 1e6:.0f} MB")
    bad_rows = {rows // 4, rows // 2, 3 * rows // 4}
    content = _workbook(rows, bad=bad_rows, offset=rows)
    started = time.perf_counter()
    report = producer_import(actor=admin, upload=_upload(content), only_valid=False)
    seconds = time.perf_counter() - started
    print(
        f"   a second file of {rows:,} new rows, 3 of them bad: reported rows "
        f"{report.invalid_rows}, imported {report.imported}, in {seconds:.1f} s"
    )


def bench_logs(existing: int, samples: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dibiao.producers.models import ProductionBase
    from dibiao.production.choices import InputCategory, LogKind, LogStatus
    from dibiao.production.models import ProductionLog
    from dibiao.production.services.logs import log_create

    base = ProductionBase.objects.get(name="马峪乡葡萄核心生产基地（演示）")
    start = timezone.now() - dt.timedelta(days=existing // 10 + 400)
    rows = []
    for n in range(existing):
        when = start + dt.timedelta(hours=2 * n)
        is_input = n % 4 == 0
        rows.append(
            ProductionLog(
                kind=LogKind.INPUT if is_input else LogKind.OBSERVATION,
                occurred_at=when,
                base=base,
                product=base.product,
                title="基准测试",
                operator="基准",
                status=LogStatus.DONE,
                input_category=InputCategory.FERTILIZER if is_input else "",
                input_name="有机肥" if is_input else "",
                safety_interval_days=3 if is_input else None,
                harvest_allowed_from=(when + dt.timedelta(days=3)).date() if is_input else None,
            )
        )
    ProductionLog.objects.bulk_create(rows, batch_size=2000)
    print(f"\n2. Logs on one base that already has {existing:,} logs ({existing // 4:,} inputs)")
    timings: list[float] = []
    when = timezone.now() - dt.timedelta(days=1)
    query_counts: list[int] = []
    for n in range(samples):
        data = {
            "kind": LogKind.HARVEST if n % 2 else LogKind.INPUT,
            "occurred_at": when + dt.timedelta(seconds=n),
            "product": base.product,
            "title": "基准测试",
            "operator": "基准",
            "status": LogStatus.DONE,
            "quantity": Decimal(10),
            "unit": "千克",
        }
        if data["kind"] == LogKind.INPUT:
            data.update(input_category=InputCategory.FERTILIZER, input_name="复合肥")
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            log_create(actor=None, base=base, data=data)
        timings.append((time.perf_counter() - started) * 1000)
        query_counts.append(len(queries))
    print(
        f"   log_create ×{samples}: {_percentiles(timings)}   "
        f"queries per write {min(query_counts)}–{max(query_counts)}"
    )


def bench_list(producers: int, samples: int) -> None:
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dibiao.accounts.models import User
    from dibiao.core import pii
    from dibiao.core.models import Division
    from dibiao.producers.models import Producer

    # A request clears the connection's query log when it starts; keep it to count them.
    request_started.disconnect(reset_queries)

    counties = list(Division.objects.filter(level="county", code__startswith="14"))
    existing = Producer.objects.count()
    sealed = pii.seal_phone("13900000000")
    batch = []
    for n in range(max(0, producers - existing)):
        batch.append(
            Producer(
                name=f"列表基准主体{n:06d}",
                kind="large_household",
                division=counties[n % len(counties)],
                phone_sealed=sealed.sealed,
                phone_digest=sealed.digest,
                phone_masked=sealed.masked,
            )
        )
    Producer.objects.bulk_create(batch, batch_size=5000)
    total = Producer.objects.count()
    print(f"\n3. Directory list API with {total:,} producers in the province")
    client = Client()
    for username in ("province_admin", "county_140121"):
        client.force_login(User.objects.get(username=username))
        for _ in range(5):
            client.get("/api/v1/producers/")
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/producers/")
        query_count = len(queries.captured_queries)
        count = response.json()["count"]
        timings = []
        for _ in range(samples):
            started = time.perf_counter()
            client.get("/api/v1/producers/")
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"   {username:<15} count {count:>7,}: {_percentiles(timings)}   queries {query_count}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--existing-logs", type=int, default=10_000)
    parser.add_argument("--producers", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    bench_import(args.import_rows)
    bench_logs(args.existing_logs, args.samples)
    bench_list(args.producers, args.samples)


if __name__ == "__main__":
    main()
