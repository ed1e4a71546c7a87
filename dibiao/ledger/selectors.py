"""Reads of the ledger for pages: where a record stands in the log ("recorded in the ledger at
index N", shown on the scan and certificate pages), a leaf as the public entry page shows it,
and the console's state. Everything here is public except `console_state`'s witness path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.urls import reverse

from dibiao.core.params import MAX_ID
from dibiao.ledger import services, witness
from dibiao.ledger import types as ledger_types
from dibiao.ledger.models import LedgerCheckpoint, LedgerLeaf, LedgerState


def record_mark(instance: Model) -> dict[str, Any] | None:
    """Where the latest leaf of `instance` is, JSON-able: {"index": N, "pending": False,
    "url": "/ledger/entries/N/"}; {"index": None, "pending": True, "url": ""} while the leaf
    waits for the sequencer; None when the record has no leaf or its model is not logged."""
    try:
        type_name = ledger_types.for_model(type(instance)).name
    except LookupError:
        return None
    row = (
        LedgerLeaf.objects.filter(record_type=type_name, record_id=instance.pk)
        .order_by("-id")
        .values("leaf_index")
        .first()
    )
    if row is None:
        return None
    index = row["leaf_index"]
    if index is None:
        return {"index": None, "pending": True, "url": ""}
    return {"index": index, "pending": False, "url": reverse("ledger:entry-detail", args=[index])}


def latest_checkpoint() -> LedgerCheckpoint | None:
    return LedgerCheckpoint.objects.order_by("-id").first()


def checkpoint_of_size(size: int | None) -> LedgerCheckpoint | None:
    """The latest checkpoint, or the latest one of that tree size."""
    rows = LedgerCheckpoint.objects.order_by("-id")
    return (rows if size is None else rows.filter(size=size)).first()


def type_labels() -> list[str]:
    """What the ledger logs, in words (each registered leaf type's label)."""
    return sorted({t.label for t in ledger_types.registered().values()})


def type_label(record_type: str) -> str:
    known = ledger_types.registered().get(record_type)
    return known.label if known is not None else record_type


@dataclass(frozen=True)
class Entry:
    """A leaf as the public entry page shows it, with its proof against the latest checkpoint
    (`proof` is None when no published checkpoint covers the leaf yet)."""

    leaf: LedgerLeaf
    data: bytes
    document: str  # pretty-printed
    type_label: str
    checkpoint: LedgerCheckpoint | None
    proof: list[bytes] | None


def entry_get(index: int) -> Entry | None:
    if not 0 <= index <= MAX_ID:
        return None
    leaf = LedgerLeaf.objects.filter(leaf_index=index).first()
    if leaf is None:
        return None
    data = bytes(leaf.data)
    try:
        document = json.dumps(json.loads(data), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:  # the audit reports such a leaf; the page still shows its bytes
        document = data.decode("utf-8", errors="replace")
    checkpoint = latest_checkpoint()
    covered = checkpoint is not None and index < checkpoint.size
    return Entry(
        leaf=leaf,
        data=data,
        document=document,
        type_label=type_label(leaf.record_type),
        checkpoint=checkpoint,
        proof=services.inclusion_proof(index, checkpoint.size)
        if checkpoint is not None and covered
        else None,
    )


@dataclass(frozen=True)
class ConsoleState:
    state: LedgerState
    queued: int
    checkpoint: LedgerCheckpoint | None
    witness_path: str
    witness_size: int | None  # the tree size of the last checkpoint in the witness file
    witness_error: str


def console_state() -> ConsoleState:
    try:
        last = witness.last()
        witness_size, witness_error = (last.size if last else None), ""
    except witness.WitnessError as exc:
        witness_size, witness_error = None, str(exc)
    return ConsoleState(
        state=services.state(),
        queued=LedgerLeaf.objects.filter(leaf_index__isnull=True).count(),
        checkpoint=latest_checkpoint(),
        witness_path=str(witness.path()),
        witness_size=witness_size,
        witness_error=witness_error,
    )
