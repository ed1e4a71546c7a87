"""The child processes of `bench.trace` (each with its own Django and SQLite file):

    python -m bench.trace_world build --labels N       one producer's label world with N labels
    python -m bench.trace_world csv --codes N           the CSV of N codes into a file; JSON result
    python -m bench.trace_world lookup                  times check_code, one JSON line per request

The database is the one DATABASE_URL names (set by bench.trace). Rows are written with
bulk_create: the services would audit each issuance, right for users, far too slow for 5,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ISSUANCE_SIZE = 200_000  # labels per issuance in the large world (10^9 = 5,000 issuances)
BOUND_PER_ISSUANCE = 100_000  # the first half of each issuance is bound to a batch
ISSUED_PER_ISSUANCE = 50_000  # then issued only, the rest voided
ORIGIN = "https://dibiao.example.cn"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _world() -> dict[str, Any]:
    """Divisions, a registered product with its story, a producer with a base, a harvest log, a
    test report and a 合格证: what the scan page of a real batch shows."""
    from dibiao.accounts.choices import OrganizationKind
    from dibiao.accounts.models import Organization
    from dibiao.core.models import Division
    from dibiao.producers.models import LabelAuthorization, Producer, ProductionBase
    from dibiao.production.models import ProductionLog, TestItem, TestReport
    from dibiao.registry.models import GIProduct

    province = Division.objects.create(
        code="140000", name="山西省", level="province", path="140000"
    )
    city = Division.objects.create(
        code="140100", name="太原市", level="city", parent=province, path="140000/140100"
    )
    county = Division.objects.create(
        code="140121", name="清徐县", level="county", parent=city, path="140000/140100/140121"
    )
    product = GIProduct.objects.create(
        name="清徐葡萄",
        category="fruit_tea",
        certificate_number="AGI00001",
        status="registered",
        quality_characteristics="果穗紧凑，果粒大而均匀，皮薄肉脆，含糖量高。",
        story="清徐葡萄栽培始于唐代，至今已有一千三百多年历史，是山西省著名的地方特产。",
    )
    product.divisions.set([county])
    producer = Producer.objects.create(
        name="清徐县葡萄专业合作社", kind="cooperative", division=county
    )
    base = ProductionBase.objects.create(
        producer=producer,
        product=product,
        kind="core",
        name="马峪乡葡萄基地",
        division=county,
        area_mu=Decimal(300),
    )
    authorization = LabelAuthorization.objects.create(
        producer=producer,
        product=product,
        year=2026,
        number="SQ20260001",
        qualifications="-",
        production_plan="-",
        quality_measures="-",
        requested_quantity=2_000_000_000,
        authorized_quantity=2_000_000_000,
        scope="礼盒装",
        status="approved",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    lab = Organization.objects.create(
        name="山西省农产品质量安全检验检测中心", kind=OrganizationKind.LAB, division=province
    )
    report = TestReport.objects.create(
        kind="safety",
        lab=lab,
        report_number="JC2026-0001",
        product=product,
        producer=producer,
        sample_code="YP-001",
        sampled_on=dt.date(2026, 8, 25),
        tested_on=dt.date(2026, 8, 28),
        result="pass",
    )
    for name in ("毒死蜱", "乐果", "多菌灵", "吡虫啉"):
        TestItem.objects.create(
            report=report, category="safety", name=name, value=Decimal("0.001"), unit="mg/kg"
        )
    harvest = ProductionLog.objects.create(
        kind="harvest",
        occurred_at=dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC),
        base=base,
        product=product,
        title="采收",
        operator="-",
        quantity=Decimal(500_000),
        unit="千克",
        status="done",
    )
    return {
        "product": product,
        "producer": producer,
        "base": base,
        "authorization": authorization,
        "report": report,
        "harvest": harvest,
    }


def _batches(world: dict[str, Any], count: int) -> list[Any]:
    from dibiao.trace.models import Batch, ComplianceCertificate

    Batch.objects.bulk_create(
        Batch(
            number=f"001-20260901-{n:03d}",
            product=world["product"],
            producer=world["producer"],
            base=world["base"],
            quantity=Decimal(1_000_000),
            unit="个",
            harvest_date=dt.date(2026, 9, 1),
            status="released",
        )
        for n in range(1, count + 1)
    )
    made = list(Batch.objects.order_by("id"))
    for batch in made:
        batch.harvest_logs.add(world["harvest"])
        batch.test_reports.add(world["report"])
    ComplianceCertificate.objects.create(
        number="HG2026140121000001",
        batch=made[0],
        producer=world["producer"],
        product_name="清徐葡萄",
        quantity=Decimal(1000),
        unit="个",
        origin="山西省太原市清徐县",
        basis="commissioned_test",
        test_report=world["report"],
        contact="0351-0000000",
        keep_until=dt.date(2028, 9, 1),
    )
    return made


def build(labels: int) -> dict[str, Any]:
    from django.core.management import call_command

    from dibiao.trace import codes
    from dibiao.trace.models import CodeIssuance, CodeSegment, SerialCounter, TraceSettings

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    world = _world()
    size = min(labels, ISSUANCE_SIZE)
    count = labels // size
    batches = _batches(world, min(count, 50))
    key_id = codes.current_key_id()
    issuances = CodeIssuance.objects.bulk_create(
        (
            CodeIssuance(
                number=f"LC2026{n:07d}",
                authorization=world["authorization"],
                producer=world["producer"],
                product=world["product"],
                key_id=key_id,
                first_serial=1 + n * size,
                last_serial=(n + 1) * size,
                count=size,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    bound = min(BOUND_PER_ISSUANCE, size // 2)
    issued = min(ISSUED_PER_ISSUANCE, size // 4)
    segments = []
    for n, issuance in enumerate(CodeIssuance.objects.order_by("first_serial")):
        first = issuance.first_serial
        segments += [
            CodeSegment(
                issuance=issuance,
                first_serial=first,
                last_serial=first + bound - 1,
                state="active",
                batch=batches[n % len(batches)],
            ),
            CodeSegment(
                issuance=issuance,
                first_serial=first + bound,
                last_serial=first + bound + issued - 1,
                state="issued",
            ),
            CodeSegment(
                issuance=issuance,
                first_serial=first + bound + issued,
                last_serial=issuance.last_serial,
                state="voided",
                reason="基准测试",
            ),
        ]
    CodeSegment.objects.bulk_create(segments, batch_size=2000)
    SerialCounter.objects.update_or_create(pk=1, defaults={"next_serial": count * size + 1})
    # The bench hits the endpoint from one address far faster than any person: without a high
    # per-network limit it would measure the 429 page.
    TraceSettings.objects.update_or_create(pk=1, defaults={"scans_per_minute": 1_000_000})
    return {
        "labels": count * size,
        "issuances": len(issuances),
        "segments": len(segments),
        "bound": [[i.first_serial, i.first_serial + bound - 1] for i in issuances[:50]],
        "all": [1, count * size],
        "key_id": key_id,
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def csv(count: int, target: Path) -> dict[str, Any]:
    from dibiao.trace import codes, labels

    key_id = codes.current_key_id()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with target.open("wb") as sink:
        written = labels.write_csv(sink, key_id=key_id, first=1, last=count, origin=ORIGIN)
    seconds = time.perf_counter() - started
    return {
        "codes": written,
        "seconds": seconds,
        "bytes": target.stat().st_size,
        "rss_before_kb": baseline,
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def lookup(meta: dict[str, Any]) -> None:
    """Answer "N" lines with the wall-clock and thread CPU timings (ms) of N lookups of random
    issued codes; "queries" with the SQL a busy and a new code cost through the API."""
    from dibiao.trace import codes
    from dibiao.trace.lookup import check_code

    rng = random.Random(2021)
    first, last = meta["all"]
    key_id = meta["key_id"]
    for line in sys.stdin:
        command = line.strip()
        if command == "queries":
            print(json.dumps(_queries(meta)), flush=True)
            continue
        n = int(command)
        sample = [codes.encode(key_id, rng.randint(first, last)) for _ in range(n)]
        wall, cpu = [], []
        for code in sample:
            started, started_cpu = time.perf_counter(), time.thread_time()
            check = check_code(code)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            if check.segment is None:
                raise SystemExit(f"bench: {code} was not found")
        print(json.dumps({"wall": wall, "cpu": cpu}), flush=True)


def _queries(meta: dict[str, Any]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dibiao.trace import codes

    client = Client()
    first = meta["bound"][0][0]
    busy, new = codes.encode(meta["key_id"], first), codes.encode(meta["key_id"], first + 1)
    client.get(f"/api/v1/trace/{busy}")  # warm: thresholds, alert state, batch facts cached
    counts = {}
    for name, code in (("busy", busy), ("new", new)):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/api/v1/trace/{code}")
        counts[name] = len(queries.captured_queries)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["build", "csv", "lookup"])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--codes", type=int, default=1_000_000)
    parser.add_argument("--meta", type=Path)
    parser.add_argument("--target", type=Path)
    args = parser.parse_args()
    _setup()
    if args.command == "build":
        args.meta.write_text(json.dumps(build(args.labels)), encoding="utf-8")
    elif args.command == "csv":
        print(json.dumps(csv(args.codes, args.target)), flush=True)
    else:
        lookup(json.loads(args.meta.read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
