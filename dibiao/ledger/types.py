"""What goes into the ledger: each kind of leaf, how its document is built from the database and
how `ledger_verify` checks the leaves of that kind against the records.

Two kinds of leaf type:

- `SnapshotType`: a leaf is the state of one record (chosen fields, plus child rows) at an event
  that matters — a fund entry recorded, then approved; a batch released, then recalled. The
  service that makes the change appends a new leaf; the audit checks that the record as it is now
  equals its latest leaf, and that every record the type says must be logged has a leaf.
- `EventType`: a leaf is an event whose effect can only be checked by replaying the events (the
  activation and voiding of code ranges, whose segments merge and split). The type supplies the
  check.

Apps register their types from `AppConfig.ready()`; a type's name and version are in every leaf.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q

from dibiao.ledger.canonical import canonical_bytes

__all__ = [
    "Child",
    "EventType",
    "Finding",
    "LeafRef",
    "LedgerType",
    "SnapshotType",
    "for_model",
    "get",
    "register",
    "registered",
]

CHUNK = 1000


@dataclass(frozen=True)
class Finding:
    """One thing the audit found wrong, in words a security administrator can act on."""

    kind: str  # mismatch | missing_leaf | orphan_leaf | bad_leaf | tree | checkpoint | witness | queue
    message: str
    record_type: str = ""
    record_id: int | None = None
    leaf_index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "record_type": self.record_type,
            "record_id": self.record_id,
            "leaf_index": self.leaf_index,
        }


@dataclass(frozen=True)
class LeafRef:
    """A stored leaf as the audit reads it."""

    leaf_index: int
    record_id: int
    data: bytes


def document(type_name: str, version: int, record_id: int, record: Mapping[str, Any]) -> bytes:
    return canonical_bytes({"type": type_name, "v": version, "id": record_id, "record": record})


class LedgerType:
    name: str
    version: int
    model: type[models.Model]
    label: str  # what the audit calls a record of this type, e.g. 资金台账分录

    def describe(self, record_id: int) -> str:
        row = self.model._base_manager.filter(pk=record_id).first()
        return f"{self.label} #{record_id}" + (f"（{row}）" if row is not None else "（已不存在）")

    def check(self, leaves: Sequence[LeafRef]) -> Iterator[Finding]:
        """Findings for the leaves of this type, all of them in index order."""
        raise NotImplementedError


def _value_converter(field_obj: models.Field[Any, Any]) -> Any:
    if isinstance(field_obj, models.DecimalField):
        places = field_obj.decimal_places
        quantum = Decimal(1).scaleb(-places)
        return lambda v: None if v is None else Decimal(v).quantize(quantum)
    return None


@dataclass(frozen=True)
class Child:
    """Rows of another model that belong to the record (a test report's items)."""

    key: str  # the name in the document
    model: type[models.Model]
    parent_field: str  # the child's foreign key to the record
    fields: tuple[str, ...]


@dataclass
class SnapshotType(LedgerType):
    name: str
    version: int
    model: type[models.Model]
    label: str
    fields: tuple[str, ...]
    children: tuple[Child, ...] = ()
    # The records that must have at least one leaf; None: only those that have one are checked.
    logged: Q | None = None
    _converters: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def _convert(self, model: type[models.Model], row: dict[str, Any]) -> dict[str, Any]:
        for name, value in row.items():
            key = (model.__name__, name)
            if key not in self._converters:
                try:
                    self._converters[key] = _value_converter(model._meta.get_field(name))  # type: ignore[arg-type]
                except Exception:
                    self._converters[key] = None
            converter = self._converters[key]
            if converter is not None:
                row[name] = converter(value)
        return row

    def records(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The current record part of the documents of `ids` (missing ids are left out)."""
        wanted = list(ids)
        out: dict[int, dict[str, Any]] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = self.model._base_manager.filter(pk__in=chunk).values("pk", *self.fields)
            for row in rows:
                pk = row.pop("pk")
                out[pk] = self._convert(self.model, row)
            for child in self.children:
                grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
                child_rows = (
                    child.model._base_manager.filter(**{f"{child.parent_field}__in": chunk})
                    .order_by("pk")
                    .values(child.parent_field, *child.fields)
                )
                for row in child_rows:
                    parent = row.pop(child.parent_field)
                    grouped[parent].append(self._convert(child.model, row))
                for pk, record in out.items():
                    if pk in chunk:
                        record[child.key] = grouped.get(pk, [])
        return out

    def documents(self, ids: Iterable[int]) -> dict[int, bytes]:
        return {
            pk: document(self.name, self.version, pk, record)
            for pk, record in self.records(ids).items()
        }

    def check(self, leaves: Sequence[LeafRef]) -> Iterator[Finding]:
        latest: dict[int, LeafRef] = {}
        for leaf in leaves:
            latest[leaf.record_id] = leaf
        ids = sorted(latest)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            current = self.documents(chunk)
            differing = [pk for pk in chunk if pk in current and current[pk] != latest[pk].data]
            # A record changed while the audit ran has a newer leaf, perhaps still queued:
            # compare with the newest leaf there is before calling it tampered.
            newest = self._newest_leaves(differing)
            for pk in chunk:
                leaf = latest[pk]
                if pk not in current:
                    yield Finding(
                        "orphan_leaf",
                        f"{self.label} #{pk} 已从数据库中删除，但账本第 {leaf.leaf_index} 号叶记录了它。",
                        self.name,
                        pk,
                        leaf.leaf_index,
                    )
                elif pk in newest and current[pk] != newest[pk].data:
                    leaf = newest[pk]
                    yield Finding(
                        "mismatch",
                        f"{self.describe(pk)} 的数据与账本第 {leaf.leaf_index} 号叶不一致："
                        f"{_difference(leaf.data, current[pk])}",
                        self.name,
                        pk,
                        leaf.leaf_index,
                    )
        if self.logged is not None:
            seen = set(latest)
            rows = self.model._base_manager.filter(self.logged).values_list("pk", flat=True)
            candidates = [pk for pk in rows.iterator(chunk_size=CHUNK) if pk not in seen]
            # Read after the records: a record committed with its leaf shows both.
            with_leaf = set(self._newest_leaves(candidates))
            for pk in candidates:
                if pk not in with_leaf:
                    yield Finding(
                        "missing_leaf",
                        f"{self.describe(pk)} 没有记入账本。",
                        self.name,
                        pk,
                    )

    def _newest_leaves(self, ids: Sequence[int]) -> dict[int, LeafRef]:
        """The newest leaf of each record, queued or not (leaf_index -1 while queued)."""
        from dibiao.ledger.models import LedgerLeaf

        out: dict[int, LeafRef] = {}
        for start in range(0, len(ids), CHUNK):
            rows = (
                LedgerLeaf.objects.filter(
                    record_type=self.name, record_id__in=ids[start : start + CHUNK]
                )
                .order_by("id")
                .values_list("record_id", "leaf_index", "data")
            )
            for record_id, leaf_index, data in rows:
                out[record_id] = LeafRef(
                    -1 if leaf_index is None else leaf_index, record_id, bytes(data)
                )
        return out


def _difference(logged: bytes, current: bytes) -> str:
    """Which fields differ, e.g. "amount: 账本 1200.00，数据库 1300.00"."""
    import json

    try:
        old = json.loads(logged)["record"]
        new = json.loads(current)["record"]
    except (ValueError, KeyError, TypeError):
        return "叶数据无法解析。"
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            parts.append(f"{key}: 账本 {_short(old.get(key))}，数据库 {_short(new.get(key))}")
    return "；".join(parts) or "字段相同但编码不同。"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


class EventType(LedgerType):
    """Leaves that record events; `check` replays them against the current records."""

    def document(self, record_id: int, record: Mapping[str, Any]) -> bytes:
        return document(self.name, self.version, record_id, record)


_TYPES: dict[str, LedgerType] = {}
_BY_MODEL: dict[type[models.Model], SnapshotType] = {}


def register(ledger_type: LedgerType) -> LedgerType:
    existing = _TYPES.get(ledger_type.name)
    if existing is not None and existing is not ledger_type:
        raise ValueError(f"ledger type {ledger_type.name!r} is registered twice")
    _TYPES[ledger_type.name] = ledger_type
    if isinstance(ledger_type, SnapshotType):
        _BY_MODEL[ledger_type.model] = ledger_type
    return ledger_type


def get(name: str) -> LedgerType:
    return _TYPES[name]


def for_model(model: type[models.Model]) -> SnapshotType:
    try:
        return _BY_MODEL[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no ledger type") from None


def registered() -> dict[str, LedgerType]:
    return dict(_TYPES)
