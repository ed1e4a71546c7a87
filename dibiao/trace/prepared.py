"""The scan path's statements, compiled once: the segment lookup, the scan insert, the scan
count and the alerts of a code.

Compiling an ORM query costs several times more than running it on an index (on the development
machine about 0.5 ms against 0.05 ms), and every scan runs these. Each is built by the ORM
once per process and database alias — so the SQL with its quoting and placeholders, the value
converters and the model hydration (select_related included) are Django's own — and then run
with new parameters. The busiest endpoint (`GET /api/v1/trace/<code>`, benchmarked against a
minimal view in bench/trace.py) then pays for running its queries, not for building them.
Everything else in the project uses the ORM as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Max, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

from dibiao.trace.models import CodeSegment, CounterfeitAlert, Scan

# Stands for the parameter while a query is compiled; no serial is negative.
_SLOT = -7_777_777_777


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slot: int  # the position of the parameter in `params`
    converters: list[tuple[int, tuple[list[Callable[..., Any]], Any]]]
    # Model hydration, as ModelIterable does it (None for a values query).
    model: type[Model] | None = None
    model_slice: tuple[int, int] = (0, 0)
    init_list: tuple[str, ...] = ()
    populators: tuple[Any, ...] = ()


def _compile(queryset: QuerySet[Any], *, models: bool) -> _Compiled:
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    params = tuple(params)
    if params.count(_SLOT) != 1:
        raise RuntimeError("a prepared query must have exactly one parameter")
    select = compiler.select
    converters = compiler.get_converters([column for column, _, _ in select])
    compiled = _Compiled(sql, params, params.index(_SLOT), list(converters.items()))
    if not models:
        return compiled
    klass_info = compiler.klass_info
    if klass_info is None:
        raise RuntimeError("a prepared model query must select a model")
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    return _Compiled(
        compiled.sql,
        compiled.params,
        compiled.slot,
        compiled.converters,
        model=klass_info["model"],
        model_slice=(start, end),
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        # django-stubs describe Django 6's signature (a fetch mode); 5.2 takes these three.
        populators=tuple(get_related_populators(klass_info, select, queryset.db)),  # type: ignore[call-arg]
    )


def _rows(compiled: _Compiled, alias: str, value: Any) -> list[list[Any]]:
    params = list(compiled.params)
    params[compiled.slot] = value
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = [list(raw) for raw in cursor.fetchall()]
    for row in rows:
        for position, (functions, expression) in compiled.converters:
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
    return rows


def _fetch(compiled: _Compiled, alias: str, value: Any) -> list[Any] | None:
    rows = _rows(compiled, alias, value)
    return rows[0] if rows else None


@cache
def _segment_query(alias: str) -> _Compiled:
    # Only what a scan reads: a label's state, its issuance's key and producer, its batch's
    # version (the key of the cached facts). Any other field loads when first read.
    queryset = (
        CodeSegment.objects.using(alias)
        .filter(first_serial__lte=_SLOT)
        .select_related("issuance", "batch")
        .only(
            *("first_serial", "last_serial", "state", "changed_at", "issuance", "batch"),
            *("issuance__key_id", "issuance__producer", "issuance__product"),
            "batch__version",
        )
        .order_by("-first_serial")[:1]
    )
    return _compile(queryset, models=True)


def segment_at_or_below(serial: int) -> CodeSegment | None:
    """The segment with the greatest first serial ≤ `serial`, with its issuance and batch: the
    query of `lookup.segment_for`, compiled once."""
    alias = router.db_for_read(CodeSegment) or DEFAULT_DB_ALIAS
    compiled = _segment_query(alias)
    row = _fetch(compiled, alias, serial)
    if row is None or compiled.model is None:
        return None
    start, end = compiled.model_slice
    segment = compiled.model.from_db(alias, list(compiled.init_list), row[start:end])
    for populator in compiled.populators:
        populator.populate(row, segment)
    return segment if isinstance(segment, CodeSegment) else None


@dataclass(frozen=True)
class CodeScans:
    count: int
    first_at: dt.datetime | None
    from_network: int  # of them, from the given client network
    alerted: bool  # some counterfeit alert (open or closed) names this code


def _column(model: type[Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    if not isinstance(column, str):
        raise RuntimeError(f"{model.__name__}.{name} has no column")
    return column


@cache
def _count_statement(alias: str) -> tuple[str, list[Callable[..., Any]], Any]:
    # An aggregate with a conditional count and an EXISTS beside it has no queryset form that
    # compiles without running, so the statement is written here from the models' own table
    # and column names (quoted by the backend); every value is a parameter.
    connection = connections[alias]
    quote = connection.ops.quote_name
    scans, alerts = quote(Scan._meta.db_table), quote(CounterfeitAlert._meta.db_table)
    scan_serial = quote(_column(Scan, "serial"))
    network = quote(_column(Scan, "network"))
    alert_serial = quote(_column(CounterfeitAlert, "serial"))
    scanned_at = Scan._meta.get_field("scanned_at")
    sql = (
        f"SELECT COUNT(*), MIN({scans}.{quote(_column(Scan, 'scanned_at'))}), "  # noqa: S608 (see above)
        f"SUM(CASE WHEN {scans}.{network} = %s THEN 1 ELSE 0 END), "
        f"EXISTS(SELECT 1 FROM {alerts} WHERE {alerts}.{alert_serial} = %s) "
        f"FROM {scans} WHERE {scans}.{scan_serial} = %s"
    )
    column = scanned_at.get_col(Scan._meta.db_table)
    converters = connection.ops.get_db_converters(column) + scanned_at.get_db_converters(connection)
    return sql, converters, column


def code_scans(serial: int, network: str = "") -> CodeScans:
    """How many scans a code has, the first one's time, how many came from `network`, and
    whether any alert names the code: one query on the (serial, scanned_at) and (serial, kind)
    indexes."""
    alias = router.db_for_read(Scan) or DEFAULT_DB_ALIAS
    sql, converters, column = _count_statement(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, [network, serial, serial])
        count, first, from_network, alerted = cursor.fetchone()
    for convert in converters:
        first = convert(first, column, connection)
    return CodeScans(int(count), first, int(from_network or 0), bool(alerted))


@cache
def _alerts_query(alias: str) -> _Compiled:
    queryset = (
        CounterfeitAlert.objects.using(alias)
        .filter(serial=_SLOT)
        .values("kind", "status")
        .annotate(closed=Max("closed_at"))
        .values_list("kind", "status", "closed")
        .order_by()
    )
    return _compile(queryset, models=False)


def alerts_of_code(serial: int) -> list[tuple[str, str, dt.datetime | None]]:
    """(kind, status, latest closing time) of the alerts about one code."""
    alias = router.db_for_read(CounterfeitAlert) or DEFAULT_DB_ALIAS
    return [
        (kind, status, closed)
        for kind, status, closed in _rows(_alerts_query(alias), alias, serial)
    ]


@cache
def _insert_statement(alias: str) -> tuple[str, bool, tuple[Any, ...]]:
    connection = connections[alias]
    fields = tuple(f for f in Scan._meta.concrete_fields if not f.primary_key)
    query = InsertQuery(Scan)
    query.insert_values(fields, [Scan()])
    compiler = query.get_compiler(using=alias)
    returning = connection.features.can_return_columns_from_insert
    compiler.returning_fields = [Scan._meta.pk] if returning else None
    [(sql, _)] = compiler.as_sql()
    return sql, returning, fields


def scan_insert(scan: Scan) -> Scan:
    """Insert a new Scan (the ORM's INSERT, compiled once) and set its primary key."""
    alias = router.db_for_write(Scan) or DEFAULT_DB_ALIAS
    sql, returning, fields = _insert_statement(alias)
    connection = connections[alias]
    params = [f.get_db_prep_save(getattr(scan, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    scan.pk = pk
    scan._state.adding = False
    scan._state.db = alias
    return scan
