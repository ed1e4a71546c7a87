"""`make bench`: p50/p99 of the product list API and the public product pages at national scale
against the 12-product demo, with the target national p99 ≤ 1.5 × demo p99.

Each scale has its own SQLite file under var/bench/ (never the developer's var/dibiao.sqlite3),
built once and reused until the generator or the demo data change, or `--rebuild` is given.
Building and timing run in child processes (bench.measure) with DATABASE_URL set, so this
process never touches a database. Exits 0 even when a target fails: it is a benchmark, not a
test; the FAIL lines say what missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
SCALES = ("demo", "national")
# A cached database is rebuilt when any of these change, or DATA_VERSION (bump it when
# bench.measure.build changes what it writes).
DATA_VERSION = 1
FINGERPRINT_SOURCES = (
    ROOT / "bench" / "generate.py",
    ROOT / "dibiao" / "demo" / "services.py",
    ROOT / "dibiao" / "demo" / "fixtures",
    ROOT / "dibiao" / "core" / "fixtures",
)


def _fingerprint(seed: int) -> str:
    digest = hashlib.sha256(f"{DATA_VERSION}:{seed}".encode())
    for source in FINGERPRINT_SOURCES:
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.is_file():
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _sqlite_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def _child_env(db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{db}",
        # Secret key, demo password and static root live beside the bench databases.
        "DIBIAO_VAR_DIR": str(OUT),
        "DIBIAO_ENVIRONMENT": "development",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
    }


def _build(db: Path, *args: str) -> None:
    # The command line is ours, built from constants and integers: no shell, no user input.
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.measure", "build", *args],
        cwd=ROOT,
        env=_child_env(db),
        check=True,
    )


def ensure_built(scale: str, *, seed: int, rebuild: bool) -> dict[str, Any]:
    db, meta_path = OUT / f"{scale}.sqlite3", OUT / f"{scale}.json"
    fingerprint = _fingerprint(seed)
    if not rebuild and db.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("fingerprint") == fingerprint:
            print(f"  {scale}: cached {db.relative_to(ROOT)} (--rebuild to regenerate)")
            return meta
    # Build beside the real file and move it in place only when complete, so that an
    # interrupted build is never mistaken for a cached one.
    building = OUT / f"{scale}.building.sqlite3"
    building_meta = OUT / f"{scale}.building.json"
    for path in [*_sqlite_files(building), *_sqlite_files(db), meta_path]:
        path.unlink(missing_ok=True)
    print(f"  {scale}: building {db.relative_to(ROOT)} ...", flush=True)
    _build(building, "--scale", scale, "--seed", str(seed), "--meta", str(building_meta))
    for source, target in zip(_sqlite_files(building), _sqlite_files(db), strict=True):
        if source.exists():
            source.replace(target)
    meta = json.loads(building_meta.read_text(encoding="utf-8"))
    meta["fingerprint"] = fingerprint
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    building_meta.unlink()
    print(f"  {scale}: built in {meta['build_seconds']} s")
    return meta


class Child:
    """A `bench.measure serve` process for one scale, driven one JSON line at a time."""

    def __init__(self, scale: str, *, requests: int, warmup: int) -> None:
        self.scale = scale
        self.process = subprocess.Popen(  # noqa: S603 (our own command line, no shell)
            [
                sys.executable,
                "-m",
                "bench.measure",
                "serve",
                "--meta",
                str(OUT / f"{scale}.json"),
                "--requests",
                str(requests),
                "--warmup",
                str(warmup),
            ],
            cwd=ROOT,
            env=_child_env(OUT / f"{scale}.sqlite3"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.cases: list[dict[str, Any]] = self._read()["cases"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"bench.measure ({self.scale}) stopped; its error is above.")
        message: dict[str, Any] = json.loads(line)
        return message

    def time(self, key: str, n: int) -> dict[str, list[float]]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"case": key, "n": n}) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def time_scales(*, requests: int, warmup: int, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """Time every case at both scales in alternating rounds; return per-scale case results."""
    started = time.perf_counter()
    children = {}
    try:
        for scale in SCALES:
            children[scale] = Child(scale, requests=requests, warmup=warmup)
        print(f"  warmed up both scales in {time.perf_counter() - started:.1f} s", flush=True)
        keys = [c["key"] for c in children["demo"].cases]
        samples: dict[str, dict[str, dict[str, list[float]]]] = {
            s: {k: {"wall": [], "cpu": []} for k in keys} for s in SCALES
        }
        chunks = [requests // rounds + (1 if i < requests % rounds else 0) for i in range(rounds)]
        for number, n in enumerate(c for c in chunks if c):
            # Who goes first alternates, so that neither scale always follows the other.
            order = SCALES if number % 2 == 0 else SCALES[::-1]
            for key in keys:
                for scale in order:
                    timed = children[scale].time(key, n)
                    samples[scale][key]["wall"] += timed["wall"]
                    samples[scale][key]["cpu"] += timed["cpu"]
    finally:
        for child in children.values():
            child.close()
    print(f"  timed in {time.perf_counter() - started:.1f} s")
    return {
        scale: [{**case, **_stats(samples[scale][case["key"]])} for case in children[scale].cases]
        for scale in SCALES
    }


def _percentile(samples: list[float], q: float) -> float:
    """Nearest rank: of 200 samples, p99 is the third-slowest."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _stats(samples: dict[str, list[float]]) -> dict[str, float]:
    wall = samples["wall"]
    return {
        "p50": statistics.median(wall),
        "p99": _percentile(wall, 0.99),
        "mean": statistics.fmean(wall),
        "max": max(wall),
        "cpu_p99": _percentile(samples["cpu"], 0.99),
    }


def _describe(scale: str, meta: dict[str, Any]) -> str:
    c = meta["counts"]
    return (
        f"{scale:<9} provinces {c['provinces']}, cities {c['cities']}, counties {c['counties']:,},"
        f" GI products {c['products']:,} (product-county links {c['product_divisions']:,}),"
        f" organizations {c['organizations']:,}, users {c['users']}"
    )


def report(
    metas: dict[str, dict[str, Any]],
    results: dict[str, list[dict[str, Any]]],
    *,
    requests: int,
    warmup: int,
    rounds: int,
    target: float,
) -> list[str]:
    """Print the figures; return the keys of the cases that miss the target."""
    print()
    print(
        f"Dibiao benchmark: {requests} requests per case and scale after {warmup} warm-ups,"
        f" in {rounds} rounds alternating the scales; in-process django.test.Client"
        " (no network), SQLite, DEBUG off; times in ms"
    )
    for scale in SCALES:
        print("  " + _describe(scale, metas[scale]))
    national = metas["national"]
    print(
        f"  measured as: biggest province {national['province_code']} ({national['province_admin']}),"
        f" county {national['county_code']} ({national['county_admin']}),"
        f" Shanxi ({national['shanxi_admin']}); demo: {metas['demo']['province_admin']},"
        f" {metas['demo']['county_admin']}"
    )
    print()
    header = (
        f"{'case':<40} {'scale':<9} {'p50':>8} {'p99':>8} {'mean':>8}"
        f" {'max':>8} {'cpu p99':>8} {'queries':>7} {'rows':>11}  url"
    )
    print(header)
    print("-" * len(header))
    for index, case in enumerate(results["demo"]):
        for scale in SCALES:
            r = results[scale][index]
            rows = f"{r['items']}" + (f"/{r['scope']:,}" if r["scope"] is not None else "")
            label = case["label"] if scale == "demo" else ""
            print(
                f"{label:<40} {scale:<9} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['mean']:>8.2f}"
                f" {r['max']:>8.2f} {r['cpu_p99']:>8.2f} {r['queries']:>7} {rows:>11}  {r['url']}"
            )
    print()
    print(f"Target: national p99 ≤ {target} × demo p99 (queries per request must not grow)")
    header = (
        f"{'case':<40} {'demo p99':>9} {'natl p99':>9} {'ratio':>7} {'cpu ratio':>9}"
        f" {'p50 ratio':>9} {'queries':>8}  result"
    )
    print(header)
    print("-" * len(header))
    failed = []
    for demo, nat in zip(results["demo"], results["national"], strict=True):
        ratio = nat["p99"] / demo["p99"]
        cpu_ratio = nat["cpu_p99"] / demo["cpu_p99"]
        queries_ok = nat["queries"] <= demo["queries"]
        ok = ratio <= target and queries_ok
        if not ok:
            failed.append(demo["key"])
        queries = f"{demo['queries']}→{nat['queries']}"
        verdict = "PASS" if ok else "FAIL"
        if not queries_ok:
            verdict += " (more queries per request)"
        elif not ok and cpu_ratio <= target:
            verdict += " (CPU time within target: the wall-clock tail is machine noise)"
        print(
            f"{demo['label']:<40} {demo['p99']:>9.2f} {nat['p99']:>9.2f} {ratio:>6.2f}×"
            f" {cpu_ratio:>8.2f}× {nat['p50'] / demo['p50']:>8.2f}× {queries:>8}  {verdict}"
        )
    print()
    for key in failed:
        label = next(r["label"] for r in results["demo"] if r["key"] == key)
        print(f"FAIL {key}: {label}")
    passed = len(results["demo"]) - len(failed)
    print(f"{passed}/{len(results['demo'])} cases within {target}× of the demo's p99.")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the databases")
    parser.add_argument("--seed", type=int, default=2021, help="generator seed")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between scales")
    parser.add_argument("--target", type=float, default=1.5, help="allowed p99 ratio")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    print("Preparing databases")
    metas = {s: ensure_built(s, seed=args.seed, rebuild=args.rebuild) for s in SCALES}
    print("Timing")
    results = time_scales(requests=args.requests, warmup=args.warmup, rounds=args.rounds)
    report(
        metas,
        results,
        requests=args.requests,
        warmup=args.warmup,
        rounds=args.rounds,
        target=args.target,
    )
    print(f"Wall time {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
