"""`make bench-merkle`: the verifiable ledger (issue 6) on SQLite and PostgreSQL.

Two figures, each printed with its target:

1. **Appends.** N leaves (default 200,000) of realistic canonical JSON (a fund entry's snapshot,
   about 420 bytes) queued with `services._queue` — the function every `append` ends in — in
   transactions of B leaves, and `services.integrate()` after each commit (what the on-commit
   hook runs; the bench calls it itself so that the two are timed apart). Leaves per second for
   each database and batch size (target ≥ 20,000). The documents are encoded before the clock
   starts (their encoding is the record's cost; its rate is printed beside), and reading the
   record back, which `append` also does, is not part of it.
2. **Inclusion proofs** at 10^6 and 10^7 leaves: `services.inclusion_proof(index, size)` for
   random indexes, and `GET /api/v1/ledger/proof/inclusion?index=&size=` through the in-process
   test client (proof, root and leaf hash, serialized). Median and p99 (target: p99 ≤ 5 ms, and
   at 10^7 no more than 1.5 × the figure at 10^6). Both logs are served by their own child
   process, in alternating rounds, so that whatever else the machine does hits both alike.

The big logs are not built through `integrate()` (10^7 leaves would take the better part of an
hour): the tree is computed in Python with `tree.append` and the same `node_key`, and the rows
are written with executemany (SQLite) or COPY (PostgreSQL). Before each fill, the child proves
the fill writes exactly what the sequencer writes: the same leaves through `_queue` and
`integrate()` in uneven batches, then through the fill, give identical tables; and roots and
proofs of random prefixes equal those of `dibiao.ledger.merkle`'s list functions. After the
fill, the root of the whole log is recomputed from the leaves with `merkle.root_from_leaf_hashes`
and sampled proofs are verified against it.

Every database is new and removed at the end: SQLite files under var/bench/merkle-<pid>/, and
PostgreSQL databases bench_merkle_<pid>_* on the server of --pg-url. It is a benchmark, not a
test: it prints and exits 0.

    .venv/bin/python -m bench.merkle_log                 # ~10 minutes on 2 idle cores
    .venv/bin/python -m bench.merkle_log --quick         # 10^4 and 10^5 leaves, ~3 minutes
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
APPEND_TARGET = 20_000  # leaves/s
PROOF_TARGET_MS = 5.0
RATIO_TARGET = 1.5
LEAF_TYPE = "bench.leaf"
# The leaf of the big logs: exactly types.document(LEAF_TYPE, 1, n, {}) (checked), formatted
# directly because encoding 10^7 documents through canonical_bytes would take minutes.
SMALL_LEAF = b'{"id":%d,"record":{},"type":"bench.leaf","v":1}'
FILL_CHUNK = 1 << 16
CHECK_LEAVES = 3000


# --- Child processes: one Django, one database each --------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _send(channel: Any, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _fund_entry_document(record_id: int) -> bytes:
    """A fund entry's snapshot as projects.ledger.FUND_ENTRY writes it, about 420 bytes."""
    import datetime as dt
    from decimal import Decimal

    from dibiao.ledger.types import document

    recorded = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=record_id)
    record = {
        "allocation": 1 + record_id % 977,
        "contract": 1 + record_id % 5003,
        "kind": "payment",
        "reverses": None,
        "voucher_number": f"记-2026-{record_id:07d}",
        "paid_on": recorded.date(),
        "payee": "清徐县葡萄专业合作社",
        "amount": Decimal(30000 + record_id % 100_000) / 100,
        "area": "production",
        "description": "基地建设",
        "status": "pending",
        "recorded_by": 17,
        "recorded_at": recorded,
        "reviewed_by": None,
        "reviewed_at": None,
        "review_note": "",
    }
    return document("projects.fund_entry", 1, record_id, record)


def _backend_pid(connection: Any) -> int | None:
    """The PostgreSQL backend process of this connection (None for SQLite: it runs in ours)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _process_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by process `pid` if it runs on this machine (/proc), else None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Phases:
    """Wall, CPU and PostgreSQL-server CPU seconds spent in chosen functions, each net of the
    chosen functions it calls (`--profile`). The wrappers time, nothing else."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.totals: dict[str, list[float]] = {}
        self.stack: list[list[float]] = []

    def _now(self) -> list[float]:
        server = _process_cpu(self.server_pid)
        return [time.perf_counter(), time.thread_time(), server or 0.0]

    def wrap(self, owner: Any, name: str, label: Any) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append([0.0, 0.0, 0.0])
            started = self._now()
            try:
                return original(*args, **kwargs)
            finally:
                spent = [b - a for a, b in zip(started, self._now(), strict=True)]
                inner = self.stack.pop()
                key = label(args) if callable(label) else label
                total = self.totals.setdefault(key, [0.0, 0.0, 0.0])
                for i in range(3):
                    total[i] += spent[i] - inner[i]
                    if self.stack:
                        self.stack[-1][i] += spent[i]

        setattr(owner, name, timed)

    def install(self) -> None:
        from django.db.models.query import QuerySet

        from dibiao.ledger import services, store, tree

        self.wrap(services, "_queue", "_queue: leaf hashes, LedgerLeaf objects, state()")
        self.wrap(QuerySet, "bulk_create", lambda args: f"bulk_create({args[0].model.__name__})")
        self.wrap(services, "integrate", "integrate: lock, read the queue, update size")
        self.wrap(services, "_assign", "integrate: _assign (UPDATE leaf_index)")
        self.wrap(tree, "append", "integrate: tree.append hashing (run twice by planned)")
        self.wrap(
            store.DatabaseStore, "put_many", "integrate: put_many (node keys, LedgerNode objects)"
        )
        self.wrap(store.DatabaseStore, "load", "integrate: DatabaseStore.load")


def child_append(leaves: int, batch: int, profile: bool) -> None:
    """Queue `leaves` fund-entry leaves in transactions of `batch`, integrating after each."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from dibiao.ledger import merkle, services

    call_command("migrate", interactive=False, verbosity=0)
    services.state()
    started = time.perf_counter()
    documents = [_fund_entry_document(n) for n in range(leaves)]
    encode_seconds = time.perf_counter() - started
    # One untimed transaction first: connection, statement compilation, the state row.
    with transaction.atomic():
        services._queue([("projects.fund_entry", 0, documents[0])])
    services.integrate()

    server_pid = _backend_pid(connection)
    phases = _Phases(server_pid)
    if profile:
        phases.install()
    queue = commit = integrate = 0.0
    server_started = _process_cpu(server_pid)
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    for start in range(0, leaves, batch):
        items = [
            ("projects.fund_entry", n, documents[n])
            for n in range(start, min(leaves, start + batch))
        ]
        with transaction.atomic():
            t0 = time.perf_counter()
            services._queue(items)
            t1 = time.perf_counter()
        t2 = time.perf_counter()
        services.integrate()
        t3 = time.perf_counter()
        queue += t1 - t0
        commit += t2 - t1
        integrate += t3 - t2
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    server_now = _process_cpu(server_pid)
    server = None if server_started is None or server_now is None else server_now - server_started

    size = services.state().size
    hashes = [merkle.leaf_hash(documents[0])] + [merkle.leaf_hash(d) for d in documents]
    if size != leaves + 1 or services.root(size) != merkle.root_from_leaf_hashes(hashes):
        raise SystemExit(f"bench: after appending, the log's size or root is wrong (size {size})")
    _send(
        sys.stdout,
        {
            "leaves": leaves,
            "batch": batch,
            "seconds": wall,
            "cpu": cpu,
            "server_cpu": server,
            "queue": queue,
            "commit": commit,
            "integrate": integrate,
            "document_bytes": sum(map(len, documents)) / leaves,
            "encode_rate": leaves / encode_seconds,
            "phases": sorted(phases.totals.items(), key=lambda item: -item[1][0]),
        },
    )


class _FillStore:
    """`tree.SubtreeStore` for the bulk fill: `tree.append` only reads, per level, the last node
    written before the batch (the left sibling of the batch's first new node), so keeping the
    last node of every level is enough; `put_many` hands the nodes to the writer."""

    def __init__(self) -> None:
        self.last: dict[int, tuple[int, bytes]] = {}
        self.nodes: list[tuple[int, bytes]] = []

    def get(self, level: int, index: int) -> bytes:
        stored_index, value = self.last[level]
        if stored_index != index:
            raise LookupError(f"fill store: node ({level}, {index}) is not the last of its level")
        return value

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        from dibiao.ledger.store import node_key

        for level, index, value in items:
            self.last[level] = (index, value)
            if level:  # level 0 is the leaves' own hash column
                self.nodes.append((node_key(level, index), value))


def _columns(model: Any, *names: str) -> list[str]:
    columns = {f.name: f.column for f in model._meta.concrete_fields}
    return [columns[name] for name in names]


@dataclass
class _Writer:
    """Raw inserts into LedgerLeaf and LedgerNode: executemany on SQLite, COPY on PostgreSQL."""

    algorithm: str
    size: int = 0
    store: _FillStore = field(default_factory=_FillStore)

    def write(self, leaves: list[tuple[str, int, bytes]]) -> None:
        from django.db import connection, transaction
        from django.utils import timezone

        from dibiao.ledger import tree
        from dibiao.ledger.merkle import leaf_hash
        from dibiao.ledger.models import LedgerLeaf, LedgerNode

        hashes = [leaf_hash(data, algorithm=self.algorithm) for _, _, data in leaves]
        tree.append(self.store, size=self.size, leaf_hashes=hashes, algorithm=self.algorithm)
        queued_at = connection.ops.adapt_datetimefield_value(timezone.now())
        # Ids 1, 2, ... as the sequencer leaves them in a new log: it gives indexes in id order.
        leaf_rows = [
            (self.size + i + 1, self.size + i, type_name, record_id, data, hashes[i], queued_at)
            for i, (type_name, record_id, data) in enumerate(leaves)
        ]
        leaf_columns = _columns(
            LedgerLeaf,
            "id",
            "leaf_index",
            "record_type",
            "record_id",
            "data",
            "leaf_hash",
            "queued_at",
        )
        node_columns = _columns(LedgerNode, "key", "hash")
        with transaction.atomic(), connection.cursor() as cursor:
            for table, columns, rows in (
                (LedgerLeaf._meta.db_table, leaf_columns, leaf_rows),
                (LedgerNode._meta.db_table, node_columns, self.store.nodes),
            ):
                names = ", ".join(f'"{c}"' for c in columns)
                if connection.vendor == "postgresql":
                    with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f'INSERT INTO "{table}" ({names}) VALUES ({marks})',  # noqa: S608 - model tables
                        rows,
                    )
        self.store.nodes = []
        self.size += len(leaves)

    def finish(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection

        from dibiao.ledger.models import LedgerLeaf, LedgerNode, LedgerState

        LedgerState.objects.filter(pk=1).update(size=self.size)
        with connection.cursor() as cursor:
            # The id sequence past the explicit ids, as if the rows had been inserted one by one.
            for statement in connection.ops.sequence_reset_sql(no_style(), [LedgerLeaf]):
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                # Autovacuum would do it within minutes on a log that grew this big.
                for model in (LedgerLeaf, LedgerNode):
                    cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def _small_leaves(start: int, end: int) -> list[tuple[str, int, bytes]]:
    return [(LEAF_TYPE, n, SMALL_LEAF % n) for n in range(start, end)]


def _fill(size: int, algorithm: str, *, chunk: int = FILL_CHUNK) -> None:
    writer = _Writer(algorithm)
    for start in range(0, size, chunk):
        writer.write(_small_leaves(start, min(size, start + chunk)))
    writer.finish()


def _flush() -> None:
    """Empty the ledger tables and restart the leaf ids, as in a new database."""
    from django.core.management.color import no_style
    from django.db import connection

    from dibiao.ledger.models import LedgerLeaf, LedgerNode, LedgerState

    tables = [LedgerLeaf._meta.db_table, LedgerNode._meta.db_table]
    with connection.cursor() as cursor:
        for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
            cursor.execute(statement)
    LedgerState.objects.filter(pk=1).update(size=0)


def _dump() -> dict[str, Any]:
    from dibiao.ledger.models import LedgerLeaf, LedgerNode, LedgerState

    return {
        "size": LedgerState.objects.get(pk=1).size,
        "leaves": [
            (pk, index, type_name, record_id, bytes(data), bytes(value))
            for pk, index, type_name, record_id, data, value in LedgerLeaf.objects.order_by(
                "id"
            ).values_list("id", "leaf_index", "record_type", "record_id", "data", "leaf_hash")
        ],
        "nodes": [
            (key, bytes(value)) for key, value in LedgerNode.objects.values_list("key", "hash")
        ],
    }


def _check_fill(algorithm: str, rng: random.Random) -> str:
    """The fill writes exactly what `_queue` + `integrate()` write; proofs match merkle.py."""
    from django.db import transaction

    from dibiao.ledger import merkle, services, types

    for n in (0, 7, 123_456_789):
        if SMALL_LEAF % n != types.document(LEAF_TYPE, 1, n, {}):
            raise SystemExit("bench: SMALL_LEAF is not the canonical document")
    leaves = _small_leaves(0, CHECK_LEAVES)
    _flush()
    start = 0
    while start < len(leaves):  # uneven transactions, integrated in uneven batches
        end = min(len(leaves), start + rng.randint(1, 700))
        with transaction.atomic():
            services._queue(leaves[start:end])
        if rng.random() < 0.6:
            services.integrate(batch=rng.randint(1, 900))
        start = end
    services.integrate()
    sequenced = _dump()
    _flush()
    _fill(CHECK_LEAVES, algorithm, chunk=700)  # 700: chunks that do not align with subtrees
    filled = _dump()
    for key in ("size", "leaves", "nodes"):
        left, right = sequenced[key], filled[key]
        if key == "nodes":
            left, right = sorted(left), sorted(right)
        if left != right:
            raise SystemExit(f"bench: the fill's {key} differ from what integrate() writes")
    hashes = [row[5] for row in filled["leaves"]]
    for _ in range(40):
        size = rng.randint(1, CHECK_LEAVES)
        index = rng.randrange(size)
        first = rng.randint(1, size)
        if (
            services.root(size) != merkle.root_from_leaf_hashes(hashes[:size], algorithm=algorithm)
            or services.inclusion_proof(index, size)
            != merkle.inclusion_proof(hashes, index, size, algorithm=algorithm)
            or services.consistency_proof(first, size)
            != merkle.consistency_proof(hashes, first, size, algorithm=algorithm)
        ):
            raise SystemExit(f"bench: root or proof at size {size} differs from merkle.py")
    _flush()
    return (
        f"{CHECK_LEAVES:,} leaves through _queue + integrate() and through the fill: identical "
        f"tables ({len(filled['nodes']):,} nodes); 40 roots, inclusion and consistency proofs "
        "equal merkle.py's"
    )


def child_build(size: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from dibiao.ledger import merkle, services
    from dibiao.ledger.models import LedgerLeaf

    call_command("migrate", interactive=False, verbosity=0)
    algorithm = services.state().algorithm
    rng = random.Random(seed)
    check = _check_fill(algorithm, rng)
    started = time.perf_counter()
    _fill(size, algorithm)
    fill_seconds = time.perf_counter() - started

    # The whole log's root again, from its leaves alone, with the list-based reference code.
    expected = merkle.root_from_leaf_hashes(
        (merkle.leaf_hash(SMALL_LEAF % n, algorithm=algorithm) for n in range(size)),
        algorithm=algorithm,
    )
    root = services.root(size)
    if root != expected or services.state().size != size:
        raise SystemExit(f"bench: the filled log of {size:,} leaves has the wrong root")
    for _ in range(20):
        index = rng.randrange(size)
        leaf = LedgerLeaf.objects.get(leaf_index=index)
        merkle.verify_inclusion(
            index=index,
            size=size,
            leaf_hash=bytes(leaf.leaf_hash),
            proof=services.inclusion_proof(index, size),
            root=root,
            algorithm=algorithm,
        )
        first = rng.randint(1, size - 1) if size > 1 else 1
        merkle.verify_consistency(
            first=first,
            second=size,
            first_root=services.root(first),
            second_root=root,
            proof=services.consistency_proof(first, size),
            algorithm=algorithm,
        )
    _send(
        sys.stdout,
        {
            "size": size,
            "fill_seconds": fill_seconds,
            "seconds": time.perf_counter() - started,
            "check": check,
            "root": root.hex(),
            "database_bytes": _database_bytes(connection),
        },
    )


def _database_bytes(connection: Any) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute(
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            )
        return int(cursor.fetchone()[0])


class _Prover:
    """Times proofs of one filled log on request (bench.merkle_log serve)."""

    def __init__(self, size: int, seed: int) -> None:
        from django.test import Client

        from dibiao.ledger import services

        self.size = size
        self.rng = random.Random(seed)
        self.client = Client()
        self.services = services

    def _api(self, index: int) -> Any:
        response = self.client.get(f"/api/v1/ledger/proof/inclusion?index={index}&size={self.size}")
        if response.status_code != 200:
            raise SystemExit(f"bench: proof API answered {response.status_code}")
        return response

    def run(self, n: int) -> dict[str, list[float]]:
        samples: dict[str, list[float]] = {"wall": [], "cpu": [], "api": [], "api_cpu": []}
        for _ in range(n):
            index = self.rng.randrange(self.size)
            wall, cpu = time.perf_counter(), time.thread_time()
            self.services.inclusion_proof(index, self.size)
            samples["cpu"].append((time.thread_time() - cpu) * 1000)
            samples["wall"].append((time.perf_counter() - wall) * 1000)
            index = self.rng.randrange(self.size)
            wall, cpu = time.perf_counter(), time.thread_time()
            self._api(index)
            samples["api_cpu"].append((time.thread_time() - cpu) * 1000)
            samples["api"].append((time.perf_counter() - wall) * 1000)
        return samples

    def queries(self) -> dict[str, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        index = self.rng.randrange(self.size)
        with CaptureQueriesContext(connection) as proof:
            length = len(self.services.inclusion_proof(index, self.size))
        with CaptureQueriesContext(connection) as api:
            self._api(index)
        return {"proof": len(proof), "api": len(api), "length": length}


def child_serve(size: int, seed: int) -> None:
    """Answer `warm N`, `time N` and `queries` from bench.merkle_log, one JSON line each."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything else printed goes to stderr
    prover = _Prover(size, seed)
    _send(channel, {"ready": size})
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "queries":
            _send(channel, prover.queries())
        else:
            samples = prover.run(int(argument))
            _send(channel, {} if command == "warm" else samples)


# --- The parent: databases, children, the tables -----------------------------------------------


@dataclass(frozen=True)
class Database:
    backend: str  # "sqlite" | "postgresql"
    url: str
    label: str


class Databases:
    """New databases for the run, removed at the end: SQLite files in one directory, PostgreSQL
    databases named bench_merkle_<pid>_<name>."""

    def __init__(self, pg_url: str | None) -> None:
        self.directory = OUT / f"merkle-{os.getpid()}"
        self.pg_url = pg_url
        self.pg_names: list[str] = []

    def new(self, backend: str, name: str) -> Database:
        if backend == "sqlite":
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{name}.sqlite3"
            return Database(backend, f"sqlite:///{path}", str(path.relative_to(ROOT)))
        import psycopg

        assert self.pg_url is not None
        database = f"bench_merkle_{os.getpid()}_{name}"
        with psycopg.connect(self._admin(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
            conn.execute(f'CREATE DATABASE "{database}"')
        self.pg_names.append(database)
        parts = urlsplit(self.pg_url)
        return Database(backend, urlunsplit(parts._replace(path=f"/{database}")), database)

    def _admin(self) -> str:
        assert self.pg_url is not None
        return urlunsplit(urlsplit(self.pg_url)._replace(path="/postgres"))

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
        if self.pg_names:
            import psycopg

            with psycopg.connect(self._admin(), autocommit=True) as conn:
                for database in self.pg_names:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _env(database: Database) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database.url,
        "DIBIAO_VAR_DIR": str(OUT),
        "DIBIAO_ENVIRONMENT": "development",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "testserver",
        "LOG_LEVEL": "WARNING",
        # The bench calls integrate() after each commit itself, to time it apart from _queue.
        "DIBIAO_LEDGER_INTEGRATE_ON_COMMIT": "0",
        "DIBIAO_LEDGER_WITNESS": str(OUT / "merkle-witness.jsonl"),
    }


def _child(database: Database, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    # Our own command line from constants and integers: no shell, no user input.
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "bench.merkle_log", *args],
        cwd=ROOT,
        env=_env(database),
        text=True,
        encoding="utf-8",
        **kwargs,
    )


def _run_child(database: Database, *args: str) -> dict[str, Any]:
    child = _child(database, *args, stdout=subprocess.PIPE)
    out, _ = child.communicate()
    if child.returncode != 0 or not out:
        raise SystemExit(f"bench: child {' '.join(args)} on {database.label} failed (see above)")
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


class Server:
    def __init__(self, database: Database, size: int, seed: int) -> None:
        self.process = _child(
            database,
            "serve",
            *("--size", str(size), "--seed", str(seed)),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("bench: a proof server stopped (its error is above)")
        message: dict[str, Any] = json.loads(line)
        return message

    def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def _percentile(samples: list[float], q: float) -> float:
    """Nearest rank: of 1,000 samples, p99 is the 990th (the 11th-slowest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _power(n: int) -> str:
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"10^{exponent}" if 10**exponent == n else f"{n:,}"


def bench_appends(
    databases: Databases, backends: list[str], *, leaves: int, batches: list[int], profile: bool
) -> None:
    print(
        f"\n1. Appends: {leaves:,} leaves queued with services._queue in transactions of B leaves,"
        " services.integrate() after each commit; a new database for each run"
    )
    header = (
        f"   {'database':<11} {'B':>6} {'seconds':>7} {'leaves/s':>8}   {'_queue':>6} {'commit':>6}"
        f" {'integr.':>7}   {'CPU':>5} {'PG CPU':>6} {'per CPU-s':>9}  target ≥ {APPEND_TARGET:,}/s"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    profiles = []
    for backend in backends:
        for batch in batches:
            database = databases.new(backend, f"append_{batch}")
            args = ["append", "--leaves", str(leaves), "--batch", str(batch)]
            result = _run_child(database, *args, *(["--profile"] if profile else []))
            rate = leaves / result["seconds"]
            server = result["server_cpu"]
            cpu_rate = leaves / (result["cpu"] + (server or 0.0))
            note = ""
            if rate < APPEND_TARGET <= cpu_rate:
                note = " (CPU rate within target: the machine was busy)"
            print(
                f"   {backend:<11} {batch:>6,} {result['seconds']:>7.2f} {rate:>8,.0f}"
                f"   {result['queue']:>6.2f} {result['commit']:>6.2f} {result['integrate']:>7.2f}"
                f"   {result['cpu']:>5.2f} {'-' if server is None else f'{server:.2f}':>6}"
                f" {cpu_rate:>9,.0f}  {_verdict(rate >= APPEND_TARGET)}{note}",
                flush=True,
            )
            if result["phases"]:
                profiles.append((backend, batch, result))
    print(
        f"   leaves: canonical JSON of a fund entry, {result['document_bytes']:.0f} bytes on"
        f" average, encoded before the clock starts (types.document alone:"
        f" {result['encode_rate']:,.0f} documents/s). Seconds: _queue, its transaction's commit,"
        " integrate(); CPU: this process; PG CPU: the PostgreSQL backend (/proc); per CPU-s:"
        " leaves per second of the two together"
    )
    for backend, batch, result in profiles:
        print(f"   where the time goes, {backend}, B = {batch:,} (net of the functions listed):")
        print(f"     {'':<60} {'wall s':>7} {'CPU s':>6} {'PG CPU s':>8}")
        for label, (wall, cpu, server) in result["phases"]:
            print(f"     {label:<60} {wall:>7.2f} {cpu:>6.2f} {server:>8.2f}")
        print(f"     {'commit of the _queue transaction':<60} {result['commit']:>7.2f}")


def bench_proofs(
    databases: Databases,
    backends: list[str],
    *,
    sizes: list[int],
    proofs: int,
    rounds: int,
    warmup: int,
    seed: int,
) -> None:
    print(
        f"\n2. Inclusion proofs at {' and '.join(_power(s) for s in sizes)} leaves: "
        f"services.inclusion_proof(index, size) and GET /api/v1/ledger/proof/inclusion for "
        f"{proofs:,} random indexes each, after {warmup:,} untimed; {rounds} alternating rounds"
    )
    for backend in backends:
        results: dict[int, dict[str, Any]] = {}
        servers: dict[int, Server] = {}
        try:
            for size in sizes:
                database = databases.new(backend, f"proofs_{_power(size).replace('^', 'e')}")
                build = _run_child(database, "build", "--size", str(size), "--seed", str(seed))
                print(
                    f"   {backend}: {size:,} leaves written in {build['fill_seconds']:.0f} s"
                    f" ({size / build['fill_seconds']:,.0f} leaves/s, tree included), checked in"
                    f" {build['seconds'] - build['fill_seconds']:.0f} s;"
                    f" {build['database_bytes'] / 1e9:.2f} GB",
                    flush=True,
                )
                print(f"     check before the fill: {build['check']}")
                results[size] = {"wall": [], "cpu": [], "api": [], "api_cpu": []}
                servers[size] = Server(database, size, seed)
            for size, server in servers.items():
                server.ask(f"warm {warmup}")
                results[size]["queries"] = server.ask("queries")
            per_round = [proofs // rounds + (i < proofs % rounds) for i in range(rounds)]
            for number, n in enumerate(per_round):
                order = sizes if number % 2 == 0 else sizes[::-1]
                for size in order:
                    samples = servers[size].ask(f"time {n}")
                    for key, values in samples.items():
                        results[size][key] += values
        finally:
            for server in servers.values():
                server.close()
        _print_proofs(backend, sizes, results)


def _print_proofs(backend: str, sizes: list[int], results: dict[int, dict[str, Any]]) -> None:
    header = (
        f"   {'':<11} {'leaves':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU p99':>8} {'queries':>7}"
        f" {'hashes':>6}   {'API p50':>7} {'API p99':>7} {'queries':>7}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for size in sizes:
        r = results[size]
        q = r["queries"]
        print(
            f"   {backend:<11} {_power(size):>6} {statistics.median(r['wall']):>7.2f}"
            f" {_percentile(r['wall'], 0.99):>7.2f} {_percentile(r['cpu'], 0.99):>8.2f}"
            f" {q['proof']:>7} {q['length']:>6}   {statistics.median(r['api']):>7.2f}"
            f" {_percentile(r['api'], 0.99):>7.2f} {q['api']:>7}"
        )
    small, large = results[sizes[0]], results[sizes[-1]]
    p99 = _percentile(large["wall"], 0.99)
    cpu_p99 = _percentile(large["cpu"], 0.99)
    ratio = p99 / _percentile(small["wall"], 0.99)
    p50_ratio = statistics.median(large["wall"]) / statistics.median(small["wall"])
    cpu_ratio = cpu_p99 / _percentile(small["cpu"], 0.99)
    busy = " (CPU p99 within target: the wall-clock tail came from the machine)"
    if backend == "postgresql":
        busy = " (this process's CPU p99 is within target; the server's share is not in it)"
    print(
        f"   {backend}: p99 at {_power(sizes[-1])} {p99:.2f} ms [target ≤ {PROOF_TARGET_MS:g} ms:"
        f" {_verdict(p99 <= PROOF_TARGET_MS)}]" + (busy if p99 > PROOF_TARGET_MS >= cpu_p99 else "")
    )
    print(
        f"   {backend}: {_power(sizes[-1])} / {_power(sizes[0])}: p99 ×{ratio:.2f}, p50"
        f" ×{p50_ratio:.2f}, CPU p99 ×{cpu_ratio:.2f} [target ≤ {RATIO_TARGET}×:"
        f" {_verdict(ratio <= RATIO_TARGET)}]" + (busy if ratio > RATIO_TARGET >= cpu_ratio else "")
    )


def _pg_reachable(url: str) -> str | None:
    import psycopg

    try:
        with psycopg.connect(
            urlunsplit(urlsplit(url)._replace(path="/postgres")), connect_timeout=5
        ):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


def _default_pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def _sizes(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merkle_log", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="command")
    append = sub.add_parser("append", help="(child) time appends on DATABASE_URL")
    append.add_argument("--leaves", type=int, required=True)
    append.add_argument("--batch", type=int, required=True)
    append.add_argument("--profile", action="store_true")
    build = sub.add_parser("build", help="(child) fill DATABASE_URL with a log of --size leaves")
    build.add_argument("--size", type=int, required=True)
    build.add_argument("--seed", type=int, default=2021)
    serve = sub.add_parser("serve", help="(child) time proofs of the log in DATABASE_URL")
    serve.add_argument("--size", type=int, required=True)
    serve.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a try-out")
    parser.add_argument("--leaves", type=int, help="leaves per append run (200,000)")
    parser.add_argument("--batches", default="1000,10000", help="leaves per transaction")
    parser.add_argument("--sizes", type=_sizes, help="log sizes for proofs (1e6,1e7)")
    parser.add_argument("--proofs", type=int, help="timed proofs per size (1,000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternations between sizes")
    parser.add_argument("--warmup", type=int, help="untimed proofs per size first (2,000)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--pg-url", default=_default_pg_url(), help="PostgreSQL server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--only", choices=["appends", "proofs"], help="one figure only")
    parser.add_argument("--profile", action="store_true", help="where the appends' time goes")
    args = parser.parse_args(argv)

    if args.command in ("append", "build", "serve"):
        _setup()
        if args.command == "append":
            child_append(args.leaves, args.batch, args.profile)
        elif args.command == "build":
            child_build(args.size, args.seed)
        else:
            child_serve(args.size, args.seed)
        return 0

    quick = args.quick
    leaves = args.leaves or (20_000 if quick else 200_000)
    sizes = args.sizes or ([10_000, 100_000] if quick else [1_000_000, 10_000_000])
    proofs = args.proofs or (200 if quick else 1000)
    warmup = args.warmup if args.warmup is not None else (200 if quick else 2000)
    batches = [int(b) for b in args.batches.split(",")]
    backends = ["sqlite"]
    if not args.no_pg:
        problem = _pg_reachable(args.pg_url)
        if problem is None:
            backends.append("postgresql")
        else:
            print(f"PostgreSQL at {args.pg_url} not reachable ({problem}): SQLite only")

    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    command = " ".join(
        ["python -m bench.merkle_log", *(argv if argv is not None else sys.argv[1:])]
    )
    print(f"bench-merkle: {command.strip()}; {os.cpu_count()} CPUs, {', '.join(backends)}")
    databases = Databases(args.pg_url if "postgresql" in backends else None)
    try:
        if args.only in (None, "appends"):
            bench_appends(databases, backends, leaves=leaves, batches=batches, profile=args.profile)
        if args.only in (None, "proofs"):
            bench_proofs(
                databases,
                backends,
                sizes=sizes,
                proofs=proofs,
                rounds=args.rounds,
                warmup=warmup,
                seed=args.seed,
            )
    finally:
        databases.remove()
    print(f"\nWall time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
