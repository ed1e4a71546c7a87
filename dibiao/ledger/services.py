"""Writing to the ledger: queue leaves with their records, sequence them, publish checkpoints.

    from dibiao.ledger import services as ledger
    ledger.append(entry)             # in the service's transaction, after saving `entry`

`append` reads the record back from the database (inside the same transaction) and queues its
canonical bytes; when the transaction commits the sequencer gives the leaf its index. A rollback
takes the leaf with it, and a leaf cannot be queued outside a transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from dibiao.core.errors import DomainError
from dibiao.ledger import keys, tree, witness
from dibiao.ledger import types as ledger_types
from dibiao.ledger.merkle import ProofError, leaf_hash, verify_consistency
from dibiao.ledger.models import LedgerAlert, LedgerCheckpoint, LedgerLeaf, LedgerState
from dibiao.ledger.note import checkpoint_body, sign_note
from dibiao.ledger.store import DatabaseStore

logger = logging.getLogger(__name__)

INTEGRATE_BATCH = 50_000


class LedgerError(DomainError):
    pass


def state() -> LedgerState:
    """The log's state row, created with the configured origin and hash on first use."""
    row, _ = LedgerState.objects.get_or_create(
        pk=1,
        defaults={"origin": keys.default_origin(), "algorithm": settings.DIBIAO_LEDGER_ALGORITHM},
    )
    return row


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("a ledger leaf must be queued in the same transaction as its record")


def _queue(items: Sequence[tuple[str, int, bytes]]) -> list[LedgerLeaf]:
    _require_transaction()
    if not items:
        return []
    algorithm = state().algorithm
    now = timezone.now()
    rows = [
        (type_name, record_id, data, leaf_hash(data, algorithm=algorithm))
        for type_name, record_id, data in items
    ]
    ids = _insert_leaves(rows, now)
    if settings.DIBIAO_LEDGER_INTEGRATE_ON_COMMIT and not any(
        entry[1] is _integrate_after_commit for entry in connection.run_on_commit
    ):
        transaction.on_commit(_integrate_after_commit, robust=True)
    return [
        LedgerLeaf(id=pk, record_type=t, record_id=r, data=d, leaf_hash=h, queued_at=now)
        for pk, (t, r, d, h) in zip(ids, rows, strict=True)
    ]


# Raw multi-row inserts: the queue is the ledger's hot path, and building model instances and
# per-row SQL in bulk_create cost two thirds of an append (bench/merkle_log.py --profile).
_LEAF_COLUMNS = '"record_type", "record_id", "data", "leaf_hash", "queued_at"'
_SQLITE_ROWS = 32766 // 5  # SQLite's limit on the variables of one statement


def _insert_leaves(rows: list[tuple[str, int, bytes, bytes]], now: dt.datetime) -> list[int]:
    table = LedgerLeaf._meta.db_table
    ids: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'INSERT INTO "{table}" ({_LEAF_COLUMNS}) SELECT * FROM unnest('  # noqa: S608 - a model's table name
                "%s::varchar[], %s::bigint[], %s::bytea[], %s::bytea[], %s::timestamptz[]"
                ") RETURNING id",
                [
                    [r[0] for r in rows],
                    [r[1] for r in rows],
                    [r[2] for r in rows],
                    [r[3] for r in rows],
                    [now] * len(rows),
                ],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            for start in range(0, len(rows), _SQLITE_ROWS):
                chunk = rows[start : start + _SQLITE_ROWS]
                cursor.execute(
                    f'INSERT INTO "{table}" ({_LEAF_COLUMNS}) VALUES '  # noqa: S608 - table name
                    + ",".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
                    + " RETURNING id",
                    [v for t, r, d, h in chunk for v in (t, r, d, h, stamp)],
                )
                ids += [row[0] for row in cursor.fetchall()]
    return ids


def append(instance: Model) -> LedgerLeaf:
    """Queue the current state of `instance` (a model with a `SnapshotType`)."""
    return append_many(type(instance), [instance.pk])[0]


def append_many(model: type[Model], ids: Iterable[int]) -> list[LedgerLeaf]:
    """Queue the current state of several records of one model, in the order of `ids`."""
    _require_transaction()
    snapshot = ledger_types.for_model(model)
    wanted = list(ids)
    documents = snapshot.documents(wanted)
    missing = [pk for pk in wanted if pk not in documents]
    if missing:
        raise LookupError(f"{model.__name__} {missing} not found; save the record first")
    return _queue([(snapshot.name, pk, documents[pk]) for pk in wanted])


def append_event(type_name: str, record_id: int, record: Mapping[str, Any]) -> LedgerLeaf:
    """Queue an event of an `EventType` (its `check` must be able to replay it)."""
    event_type = ledger_types.get(type_name)
    if not isinstance(event_type, ledger_types.EventType):
        raise TypeError(f"{type_name} is not an event type")
    return _queue([(type_name, record_id, event_type.document(record_id, record))])[0]


def _integrate_after_commit() -> None:
    try:
        integrate()
    except Exception:  # the periodic checkpoint run will sequence the leaves
        logger.exception("ledger: sequencing after commit failed")


def _assign(pairs: list[tuple[int, int]]) -> None:
    """Set leaf_index for (leaf id, index) pairs in as few statements as the database allows."""
    table = LedgerLeaf._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f'UPDATE "{table}" AS l SET "leaf_index" = v.idx '  # noqa: S608 - a model's table name
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, idx) WHERE l.id = v.id",
                [[p[0] for p in pairs], [p[1] for p in pairs]],
            )
        else:
            cursor.executemany(
                f'UPDATE "{table}" SET "leaf_index" = %s WHERE id = %s',  # noqa: S608 - table name
                [(index, pk) for pk, index in pairs],
            )


def integrate(*, batch: int = INTEGRATE_BATCH) -> int:
    """Give every queued leaf its index and store the subtrees they complete; return the size.

    One transaction per batch, under the state row's lock, so sequencers never interleave."""
    state()
    while True:
        with transaction.atomic():
            current = LedgerState.objects.select_for_update().get(pk=1)
            pending = list(
                LedgerLeaf.objects.filter(leaf_index__isnull=True)
                .order_by("id")
                .values_list("id", "leaf_hash")[:batch]
            )
            if not pending:
                return current.size
            store = DatabaseStore(current.algorithm)
            hashes = [bytes(value) for _, value in pending]
            _assign([(pk, current.size + i) for i, (pk, _) in enumerate(pending)])
            # What an append reads follows from the sizes alone: fetch it in one query.
            store.load(tree.append_reads(current.size, current.size + len(hashes)))
            new_size = tree.append(
                store, size=current.size, leaf_hashes=hashes, algorithm=current.algorithm
            )
            LedgerState.objects.filter(pk=1).update(size=new_size)
            if len(pending) < batch:
                return new_size


def root(size: int, *, algorithm: str | None = None) -> bytes:
    algorithm = algorithm or state().algorithm
    return DatabaseStore(algorithm).planned(tree.root, size, algorithm)


def _check_size(size: int, tree_size: int, what: str) -> None:
    if not 0 <= size <= tree_size:
        raise LedgerError("bad_size", f"{what}必须在 0 到当前树大小 {tree_size} 之间。")


def inclusion_proof(index: int, size: int) -> list[bytes]:
    current = state()
    _check_size(size, current.size, "size ")
    if not 0 <= index < size:
        raise LedgerError("bad_index", f"index 必须小于 size（{size}）。")
    return DatabaseStore(current.algorithm).planned(
        tree.inclusion_proof, index, size, current.algorithm
    )


def consistency_proof(first: int, second: int) -> list[bytes]:
    current = state()
    _check_size(second, current.size, "second ")
    if not 0 < first <= second:
        raise LedgerError("bad_size", "first 必须大于 0 且不大于 second。")
    return DatabaseStore(current.algorithm).planned(
        tree.consistency_proof, first, second, current.algorithm
    )


def _prove_extends(
    store: DatabaseStore,
    current: LedgerState,
    size: int,
    new_root: bytes,
    what: str,
    earlier_size: int,
    earlier_root: bytes,
) -> None:
    if earlier_size > size:
        raise LedgerError(
            "ledger_inconsistent", f"账本只有 {size} 个叶，少于{what}的 {earlier_size} 个。"
        )
    if earlier_size == 0:
        return
    proof = store.planned(tree.consistency_proof, earlier_size, size, current.algorithm)
    try:
        verify_consistency(
            first=earlier_size,
            second=size,
            first_root=earlier_root,
            second_root=new_root,
            proof=proof,
            algorithm=current.algorithm,
        )
    except ProofError as exc:
        raise LedgerError(
            "ledger_inconsistent",
            f"当前账本（{size} 个叶）与{what}（{earlier_size} 个叶）不一致：{exc}",
        ) from exc


def _timestamp_line(moment: dt.datetime) -> str:
    return "Timestamp: " + moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish_checkpoint(*, force: bool = False) -> LedgerCheckpoint | None:
    """Sign and publish a checkpoint of the whole log, once it is proven to extend the last
    published one and the last one the witness holds. Without `force`, nothing is published
    when the tree has not grown. An inconsistency raises `LedgerError` and alerts."""
    integrate()
    try:
        with transaction.atomic():
            current = LedgerState.objects.select_for_update().get(pk=1)
            last = LedgerCheckpoint.objects.order_by("-id").first()
            if last is not None and last.size == current.size and not force:
                return None
            store = DatabaseStore(current.algorithm)
            new_root = store.planned(tree.root, current.size, current.algorithm)
            if last is not None:
                _prove_extends(
                    store,
                    current,
                    current.size,
                    new_root,
                    "上一个检查点",
                    last.size,
                    bytes(last.root_hash),
                )
            witnessed = witness.last()
            if witnessed is not None:
                # A developer who deliberately reset the database moves the witness file away;
                # anywhere else this is the alarm the witness exists for.
                _prove_extends(
                    store,
                    current,
                    current.size,
                    new_root,
                    f"见证文件（{witness.path()}）中的最后一个检查点",
                    witnessed.size,
                    witnessed.root,
                )
            moment = timezone.now().replace(microsecond=0)
            body = checkpoint_body(
                current.origin, current.size, new_root, extensions=[_timestamp_line(moment)]
            )
            note = sign_note(body, name=current.origin, private_key=keys.private_key())
            checkpoint = LedgerCheckpoint.objects.create(
                size=current.size, root_hash=new_root, timestamp=moment, note=note
            )
            # Written before the commit: a checkpoint the witness holds and the database lost
            # is still a true statement about committed leaves, the reverse would not be caught.
            witness.append(
                size=current.size, root=new_root, timestamp=moment.isoformat(), note=note
            )
            return checkpoint
    except (LedgerError, witness.WitnessError) as exc:
        alert(
            "checkpoint",
            f"检查点未发布：{exc}",
            [ledger_types.Finding("checkpoint", str(exc))],
        )
        raise


def latest_leaf(type_name: str, record_id: int) -> LedgerLeaf | None:
    return (
        LedgerLeaf.objects.filter(record_type=type_name, record_id=record_id)
        .order_by("-id")
        .first()
    )


def leaves_of(instance: Model) -> list[LedgerLeaf]:
    """The leaves of a record, oldest first (for "recorded in the ledger at index N")."""
    type_name = ledger_types.for_model(type(instance)).name
    return list(
        LedgerLeaf.objects.filter(record_type=type_name, record_id=instance.pk)
        .order_by("id")
        .defer("data")
    )


def alert(source: str, summary: str, findings: Sequence[ledger_types.Finding]) -> LedgerAlert:
    """Record an alert for the security administrators and mail those with an address."""
    from dibiao.accounts.choices import Role
    from dibiao.accounts.models import User

    row = LedgerAlert.objects.create(
        source=source, summary=summary[:300], findings=[f.as_dict() for f in findings[:500]]
    )
    logger.error("ledger alert (%s): %s", source, summary)
    recipients = list(
        User.objects.filter(is_active=True, memberships__role=Role.SECADMIN)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if recipients:
        lines = [summary, ""] + [f"- {f.message}" for f in findings[:50]]
        try:
            send_mail("【地标】账本告警", "\n".join(lines), None, recipients, fail_silently=False)
        except Exception:  # the alert row stands even when mail is down
            logger.exception("ledger: mailing the alert failed")
    return row
