"""The fund ledger under contention, repeated: 50 parallel ¥30,000.00 payments against a
¥1,000,000.00 contract, 100 times, on PostgreSQL. Target: exactly 33 successes in every run,
the other 17 refused with `over_contract`, no other error (no deadlock or integrity error
reaching a user), balance never negative.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.ledger_race

A database `dibiao_bench_race` is created on that server (dropped and recreated with
--fresh); the races add throwaway provinces to it and nothing else.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

DB_NAME = "dibiao_bench_race"


def _prepare_database(url: str, fresh: bool) -> str:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{DB_NAME}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--payments", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "ledger_race needs PostgreSQL: set DATABASE_URL=postgresql://user@host:port/any_db",
            file=sys.stderr,
        )
        return 2
    os.environ["DATABASE_URL"] = _prepare_database(url, args.fresh)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DIBIAO_VAR_DIR", os.path.join("var", "bench"))

    import django

    django.setup()
    from django.core.management import call_command

    from dibiao.projects.models import Contract
    from dibiao.projects.race import payment_race

    call_command("migrate", interactive=False, verbosity=0)
    successes: Counter[int] = Counter()
    refusals: Counter[str] = Counter()
    errors: list[str] = []
    negative = 0
    seconds: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        outcome = payment_race(
            payments=args.payments,
            amount=Decimal("30000.00"),
            contract_amount=Decimal("1000000.00"),
        )
        seconds.append(time.perf_counter() - started)
        successes[outcome.succeeded] += 1
        refusals.update(outcome.refused)
        errors.extend(outcome.other_errors)
        if Contract.objects.get(pk=outcome.contract_id).balance < 0:
            negative += 1
    expected = int(Decimal("1000000.00") // Decimal("30000.00"))
    print(
        f"ledger race: {args.runs} runs × {args.payments} parallel ¥30,000.00 payments on a ¥1,000,000.00 contract"
    )
    print(
        f"  successes per run: {dict(sorted(successes.items()))}  (target: {expected} in every run)"
    )
    print(f"  refusals in all runs: {dict(refusals)}")
    print(f"  other errors surfaced (deadlocks, integrity errors): {len(errors)}")
    for error in errors[:5]:
        print(f"    {error}")
    print(f"  runs ending with a negative balance: {negative}")
    print(
        f"  time per run: median {statistics.median(seconds) * 1000:.0f} ms, "
        f"max {max(seconds) * 1000:.0f} ms, total {sum(seconds):.1f} s"
    )
    ok = set(successes) == {expected} and not errors and negative == 0
    print("PASS" if ok else "FAIL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
