"""`make bench-trace`: label codes and the scan endpoint at national scale.

Three figures, each printed with what it measured and its target (issue 5):

1. **CSV export of 1,000,000 codes** through `dibiao.trace.labels.write_csv` (the label job's
   writer) into a file, in a child process: codes per second and the child's peak RSS
   (target ≥ 150,000 codes/s and ≤ 200 MB).
2. **Scan lookup** (`lookup.check_code`: parse, MAC, one segment lookup) with 10^3 and with
   10^9 labels issued, each in its own SQLite file and child process, alternating rounds so
   that whatever else the machine does hits both alike: p50/p99 (target: within 20 %).
3. **`GET /api/v1/trace/<code>` beside a minimal Django JSON view** (one primary-key query) on
   the same gunicorn server (2 sync workers) and database (the 10^9 one), alternating rounds of
   a few seconds, driven by a keep-alive load generator of Python threads: requests per second
   of both and the ratio (target ≥ 70 %). Each trace request checks a random code of the bound
   ranges, so it is a real scan: lookup, cached facts, scan insert, count. The bench raises the
   per-network limit (TraceSettings.scans_per_minute) to 1,000,000 — every request comes from
   127.0.0.1, which the real limit would answer with 429.

Everything lives in var/bench/ (rebuilt each run). It is a benchmark, not a test: it prints and
exits 0.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
SMALL, LARGE = 1_000, 1_000_000_000
MINIMAL = "/api/v1/bench/minimal/"
WARMUP_LOOKUPS = 5000


def _env(db: Path, settings: str = "config.settings") -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings,
        "DATABASE_URL": f"sqlite:///{db}",
        "DIBIAO_VAR_DIR": str(OUT),
        "DIBIAO_ENVIRONMENT": "development",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "LOG_LEVEL": "WARNING",
    }


def _child(*args: str, db: Path, **kwargs: Any) -> subprocess.Popen[str]:
    # Our own command line from constants and integers: no shell, no user input.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.trace_world", *args],
        cwd=ROOT,
        env=_env(db),
        text=True,
        encoding="utf-8",
        **kwargs,
    )


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(len(ordered) * q) - 1)]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- 1. CSV --------------------------------------------------------------------------------------


def bench_csv(count: int) -> None:
    target = OUT / "trace-codes.csv"
    print(f"\n1. CSV export of {count:,} codes (dibiao.trace.labels.write_csv, child process)")
    child = _child(
        "csv",
        "--codes",
        str(count),
        "--target",
        str(target),
        db=OUT / "trace-csv.sqlite3",
        stdout=subprocess.PIPE,
    )
    out, _ = child.communicate()
    result = json.loads(out)
    rate = result["codes"] / result["seconds"]
    peak = result["peak_rss_kb"] / 1024
    print(
        f"   {result['codes']:,} codes, {result['bytes'] / 1e6:.0f} MB, in {result['seconds']:.2f} s: "
        f"{rate:,.0f} codes/s   [target ≥ 150,000: {_verdict(rate >= 150_000)}]"
    )
    print(
        f"   peak RSS of the child {peak:.0f} MB (Django loaded: "
        f"{result['rss_before_kb'] / 1024:.0f} MB)   [target ≤ 200 MB: {_verdict(peak <= 200)}]"
    )
    target.unlink(missing_ok=True)


# --- 2. Lookup -----------------------------------------------------------------------------------


def _build(db: Path, labels: int) -> dict[str, Any]:
    meta_path = db.with_suffix(".json")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    child = _child("build", "--labels", str(labels), "--meta", str(meta_path), db=db)
    if child.wait() != 0:
        raise SystemExit(f"bench: building {db.name} failed (its error is above)")
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    print(
        f"   built {db.name}: {meta['labels']:,} labels in {meta['issuances']:,} issuances, "
        f"{meta['segments']:,} segments ({meta['build_seconds']} s)"
    )
    return meta


class Lookup:
    def __init__(self, db: Path) -> None:
        self.process = _child(
            "lookup",
            "--meta",
            str(db.with_suffix(".json")),
            db=db,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def ask(self, command: str) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("bench: a lookup child stopped (its error is above)")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def bench_lookup(rounds: int, per_round: int) -> Lookup:
    print("\n2. Scan lookup (lookup.check_code) with 10^3 and 10^9 labels issued")
    _build(OUT / "trace-small.sqlite3", SMALL)
    _build(OUT / "trace-large.sqlite3", LARGE)
    children = {
        "10^3": Lookup(OUT / "trace-small.sqlite3"),
        "10^9": Lookup(OUT / "trace-large.sqlite3"),
    }
    timings: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "cpu": []} for name in children
    }
    for child in children.values():
        # Warm-up, untimed: the connection, the compiled statement, and the database pages in
        # SQLite's page cache (a serving process is warm; a cold one measures the disk).
        child.ask(str(WARMUP_LOOKUPS))
    for n in range(rounds):
        order = list(children.items()) if n % 2 == 0 else list(reversed(children.items()))
        for name, child in order:
            answer = child.ask(str(per_round))
            for kind in ("wall", "cpu"):
                timings[name][kind] += answer[kind]
    for name, samples in timings.items():
        wall, cpu = samples["wall"], samples["cpu"]
        print(
            f"   {name} labels: p50 {statistics.median(wall) * 1000:5.0f} µs   "
            f"p99 {_percentile(wall, 0.99) * 1000:5.0f} µs   (CPU p50 "
            f"{statistics.median(cpu) * 1000:.0f} µs, p99 {_percentile(cpu, 0.99) * 1000:.0f} µs;"
            f" {len(wall):,} lookups)"
        )
    ratios = {}
    for kind in ("wall", "cpu"):
        small, large = timings["10^3"][kind], timings["10^9"][kind]
        ratios[kind] = (
            statistics.median(large) / statistics.median(small),
            _percentile(large, 0.99) / _percentile(small, 0.99),
        )
    p50, p99 = ratios["wall"]
    ok = p50 <= 1.2 and p99 <= 1.2
    note = ""
    if not ok and max(ratios["cpu"]) <= 1.2:
        note = " (the CPU times are within 20 %: the wall-clock tail came from the machine)"
    print(
        f"   10^9 / 10^3: p50 ×{p50:.2f}, p99 ×{p99:.2f} (CPU ×{ratios['cpu'][0]:.2f}, "
        f"×{ratios['cpu'][1]:.2f})   [target within 20 %: {_verdict(ok)}]{note}"
    )
    children["10^3"].close()
    return children["10^9"]


# --- 3. Throughput -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(db: Path, port: int, workers: int, *, persistent: bool) -> subprocess.Popen[bytes]:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    env = _env(db, settings="bench.trace_settings")
    if persistent:
        env["BENCH_CONN_MAX_AGE"] = "60"
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            gunicorn,
            "config.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("bench: gunicorn did not start")


def _server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by the gunicorn master and its workers (Linux /proc; 0 else)."""
    pids = [server.pid]
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _load(port: int, paths: list[str], seconds: float, threads: int) -> tuple[int, int]:
    """Requests completed in `seconds` by `threads` keep-alive clients; and the non-200 ones."""
    done = [0] * threads
    failed = [0] * threads
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        rng = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", rng.choice(paths))
            response = conn.getresponse()
            response.read()
            done[i] += 1
            if response.status != 200:
                failed[i] += 1
            if response.will_close:
                conn.close()
        conn.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done), sum(failed)


def _measure(
    paths: dict[str, list[str]],
    *,
    persistent: bool,
    rounds: int,
    seconds: float,
    threads: int,
    workers: int,
) -> dict[str, tuple[float, float, int]]:
    """requests/s, server CPU ms per request and non-200 answers of each case."""
    port = _free_port()
    server = _serve(OUT / "trace-large.sqlite3", port, workers, persistent=persistent)
    totals = {name: [0, 0.0, 0.0, 0] for name in paths}  # requests, seconds, cpu, failed
    try:
        for name in paths:  # warm-up: connections, compiled statements, cached batch facts
            _load(port, paths[name], 3.0, threads)
        for n in range(rounds):
            for name in list(paths) if n % 2 == 0 else list(reversed(paths)):
                cpu, started = _server_cpu(server), time.monotonic()
                count, failed = _load(port, paths[name], seconds, threads)
                totals[name][0] += count
                totals[name][1] += time.monotonic() - started
                totals[name][2] += _server_cpu(server) - cpu
                totals[name][3] += failed
    finally:
        server.terminate()
        server.wait()
    return {
        name: (count / elapsed, cpu * 1000 / max(count, 1), int(failed))
        for name, (count, elapsed, cpu, failed) in totals.items()
    }


def bench_throughput(
    large: Lookup, *, rounds: int, seconds: float, threads: int, workers: int
) -> None:
    meta = json.loads((OUT / "trace-large.json").read_text(encoding="utf-8"))
    queries = large.ask("queries")
    large.close()
    print(
        f"\n3. GET /api/v1/trace/<code> beside a minimal JSON view ({MINIMAL}): gunicorn, "
        f"{workers} sync workers, {threads} client threads, {rounds} × {seconds:g} s each, "
        "alternating"
    )
    print(
        f"   SQL per scan: {queries['busy']} for a busy code, {queries['new']} for a code "
        "seen for the first time"
    )
    codes = _codes(meta, 5000)
    paths = {"minimal": [MINIMAL], "trace": [f"/api/v1/trace/{code}" for code in codes]}
    # The project opens a new SQLite connection for every request (CONN_MAX_AGE=0 for SQLite,
    # about 3 ms here), and when the last connection to a WAL database closes, SQLite
    # checkpoints and deletes the WAL file, so the next write recreates it (about 20 ms). A
    # long-running process holding the database open (the task worker) avoids the second
    # cost; this one stands in for it. The judged figure uses persistent connections, the
    # setting the project uses on PostgreSQL, so that it compares the views, not the set-up.
    held = sqlite3.connect(OUT / "trace-large.sqlite3")
    held.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    try:
        for persistent in (True, False):
            result = _measure(
                paths,
                persistent=persistent,
                rounds=rounds,
                seconds=seconds,
                threads=threads,
                workers=workers,
            )
            title = (
                "persistent connections (CONN_MAX_AGE=60)"
                if persistent
                else "the project's SQLite setting: a new connection per request"
            )
            print(f"   {title}:")
            for name, (rate, cpu, failed) in result.items():
                label = "minimal view" if name == "minimal" else "GET /api/v1/trace/<code>"
                print(
                    f"     {label:<26} {rate:7,.0f} requests/s   server CPU {cpu:5.2f} ms/request"
                    f"   (non-200: {failed})"
                )
            ratio = result["trace"][0] / result["minimal"][0]
            cpu_ratio = result["minimal"][1] / result["trace"][1]
            verdict = f"[target ≥ 70 %: {_verdict(ratio >= 0.7)}]" if persistent else "(not judged)"
            print(f"     ratio {ratio:.0%} (by server CPU: {cpu_ratio:.0%})   {verdict}")
    finally:
        held.close()


def _codes(meta: dict[str, Any], count: int) -> list[str]:
    """Random codes of the bound (active) ranges, made in a child with the bench's key."""
    script = (
        "import json,random,sys,django;django.setup();"
        "from dibiao.trace import codes;"
        "m=json.loads(sys.stdin.read());r=random.Random(7);"
        "ranges=m['bound'];"
        f"print(json.dumps([codes.encode(m['key_id'],r.randint(*r.choice(ranges))) for _ in range({count})]))"
    )
    out = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_env(OUT / "trace-large.sqlite3"),
        input=json.dumps(meta),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: list[str] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=1_000_000, help="codes in the CSV export")
    parser.add_argument("--lookup-rounds", type=int, default=10)
    parser.add_argument("--lookups", type=int, default=1000, help="lookups per round and size")
    parser.add_argument("--rounds", type=int, default=4, help="throughput rounds per endpoint")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per round")
    parser.add_argument("--threads", type=int, default=4, help="load generator threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"bench-trace: SQLite under {OUT.relative_to(ROOT)}/, {os.cpu_count()} CPUs")
    bench_csv(args.codes)
    large = bench_lookup(args.lookup_rounds, args.lookups)
    bench_throughput(
        large, rounds=args.rounds, seconds=args.seconds, threads=args.threads, workers=args.workers
    )


if __name__ == "__main__":
    main()
