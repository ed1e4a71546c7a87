"""`manage.py ledger_verify`: recompute every leaf from the records and rebuild the tree.

Reads the log once in index order, in chunks:

1. every index from 0 to the tree size is present, each leaf's stored hash is H(0x00 ‖ bytes),
   the bytes are canonical JSON naming the row's record type and id;
2. the tree rebuilt from those hashes gives every stored subtree hash, the root of every
   checkpoint (whose signatures verify) and of every checkpoint in the witness file;
3. each leaf type checks its leaves against the records as they are now (a changed amount, a
   changed test result, a record deleted or never logged), naming the record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils import timezone

from dibiao.ledger import canonical, keys, witness
from dibiao.ledger import types as ledger_types
from dibiao.ledger.merkle import _NODE_PREFIX, hash_function, leaf_hash
from dibiao.ledger.models import LedgerCheckpoint, LedgerLeaf, LedgerNode, LedgerState
from dibiao.ledger.note import NoteError, verify_note
from dibiao.ledger.store import node_key
from dibiao.ledger.types import Finding, LeafRef

CHUNK = 5000
QUEUE_GRACE = dt.timedelta(minutes=30)


@dataclass
class Report:
    size: int = 0
    leaves_checked: int = 0
    checkpoints_checked: int = 0
    witnessed_checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class _Builder:
    """Streams leaf hashes into the tree: yields each complete node as it forms (in tlog's
    stored-hash order) and gives the root of the leaves so far."""

    def __init__(self, algorithm: str) -> None:
        self.h = hash_function(algorithm)
        self.stack: list[tuple[int, bytes]] = []  # (level, hash) of the compact range
        self.size = 0

    def push(self, value: bytes) -> list[tuple[int, int, bytes]]:
        completed: list[tuple[int, int, bytes]] = []
        level, index = 0, self.size
        self.size += 1
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            value = self.h(_NODE_PREFIX + left + value)
            level += 1
            index >>= 1
            completed.append((level, index, value))
        self.stack.append((level, value))
        return completed

    def root(self) -> bytes:
        if not self.stack:
            return self.h(b"")
        value = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            value = self.h(_NODE_PREFIX + left + value)
        return value


def _stored_nodes(limit: int) -> Iterator[tuple[int, bytes]]:
    """Stored level ≥ 1 nodes in key order."""
    after = -1
    while True:
        rows = list(
            LedgerNode.objects.filter(key__gt=after, key__lt=limit)
            .order_by("key")
            .values_list("key", "hash")[:CHUNK]
        )
        if not rows:
            return
        for key, value in rows:
            yield key, bytes(value)
        after = rows[-1][0]


def run(progress: Callable[[str], None] | None = None) -> Report:
    report = Report()
    current = LedgerState.objects.filter(pk=1).first()
    if current is None:
        return report
    algorithm = current.algorithm
    report.size = current.size
    say = progress or (lambda _: None)
    verifier = keys.verifier_key(current.origin)

    # Checkpoints to meet on the way, by size: from the database and from the witness.
    roots_at: dict[int, list[tuple[str, bytes]]] = defaultdict(list)
    for checkpoint in LedgerCheckpoint.objects.order_by("id").iterator():
        report.checkpoints_checked += 1
        where = f"检查点 #{checkpoint.pk}（树大小 {checkpoint.size}）"
        try:
            parsed = verify_note(checkpoint.note, verifier_key=verifier)
        except NoteError as exc:
            report.findings.append(Finding("checkpoint", f"{where}签名无效：{exc}"))
            continue
        if parsed.size != checkpoint.size or parsed.root != bytes(checkpoint.root_hash):
            report.findings.append(Finding("checkpoint", f"{where}的签名内容与表中字段不符。"))
        roots_at[parsed.size].append((where, parsed.root))
    try:
        witnessed = witness.read()
    except witness.WitnessError as exc:
        report.findings.append(Finding("witness", str(exc)))
        witnessed = []
    for item in witnessed:
        report.witnessed_checked += 1
        where = f"见证文件第 {item.line} 行的检查点（树大小 {item.size}）"
        try:
            parsed = verify_note(item.note, verifier_key=verifier)
        except NoteError as exc:
            report.findings.append(Finding("witness", f"{where}签名无效：{exc}"))
            continue
        roots_at[parsed.size].append((where, parsed.root))
    for size in sorted(roots_at):
        if size > current.size:
            for where, _ in roots_at[size]:
                report.findings.append(
                    Finding(
                        "witness",
                        f"{where}比数据库中的账本（{current.size} 个叶）还大：数据库被回退或改写。",
                    )
                )
    if 0 in roots_at:
        _meet(report, roots_at[0], hash_function(algorithm)(b""))

    builder = _Builder(algorithm)
    stored = _NodeCursor(_stored_nodes(1 << 62))
    by_type: dict[str, dict[int, LeafRef] | list[LeafRef]] = {}
    expected_index = 0
    while True:
        rows = list(
            LedgerLeaf.objects.filter(leaf_index__isnull=False, leaf_index__gte=expected_index)
            .order_by("leaf_index")
            .values_list("leaf_index", "record_type", "record_id", "data", "leaf_hash")[:CHUNK]
        )
        if not rows:
            break
        for index, record_type, record_id, data, stored_hash in rows:
            if index is None or index != expected_index:
                report.findings.append(
                    Finding(
                        "tree",
                        f"账本缺少第 {expected_index} 到 {(index or 0) - 1} 号叶。",
                        leaf_index=expected_index,
                    )
                )
                return report  # the tree cannot be rebuilt past a gap
            data = bytes(data)
            value = leaf_hash(data, algorithm=algorithm)
            if bytes(stored_hash) != value:
                report.findings.append(
                    Finding(
                        "bad_leaf",
                        f"第 {index} 号叶的哈希与其数据不符。",
                        record_type,
                        record_id,
                        index,
                    )
                )
            _check_document(report, index, record_type, record_id, data, by_type)
            for level, node_index, node in builder.push(value):
                stored.compare(report, node_key(level, node_index), node, level, node_index)
            expected_index += 1
            if expected_index in roots_at:
                _meet(report, roots_at[expected_index], builder.root())
        report.leaves_checked = expected_index
        say(f"已核对 {expected_index}/{current.size} 个叶")
    if expected_index != current.size:
        report.findings.append(
            Finding(
                "tree", f"账本状态记录树大小为 {current.size}，但只找到 {expected_index} 个叶。"
            )
        )
    stored.rest(report)

    for type_name, refs in by_type.items():
        ledger_type = ledger_types.registered().get(type_name)
        if ledger_type is None:
            report.findings.append(
                Finding("bad_leaf", f"账本中有未知类型 {type_name} 的叶。", type_name)
            )
            continue
        say(f"核对 {ledger_type.label}（{len(refs)} 个叶）")
        report.findings.extend(
            ledger_type.check(list(refs.values()) if isinstance(refs, dict) else refs)
        )
    for type_name, ledger_type in ledger_types.registered().items():
        if type_name not in by_type:
            report.findings.extend(ledger_type.check([]))

    stale = LedgerLeaf.objects.filter(
        leaf_index__isnull=True, queued_at__lt=timezone.now() - QUEUE_GRACE
    ).count()
    if stale:
        report.findings.append(
            Finding("queue", f"有 {stale} 个叶排队超过 30 分钟仍未记入账本：检查定时任务。")
        )
    return report


def _meet(report: Report, expected: list[tuple[str, bytes]], actual: bytes) -> None:
    for where, value in expected:
        if value != actual:
            report.findings.append(
                Finding("checkpoint", f"{where}的根哈希与由叶重建的树不符：账本被改写。")
            )


class _NodeCursor:
    """The stored level ≥ 1 nodes in key order, met one by one as the rebuild completes them."""

    def __init__(self, rows: Iterator[tuple[int, bytes]]) -> None:
        self.rows = rows
        self.head: tuple[int, bytes] | None = next(rows, None)

    def compare(self, report: Report, key: int, value: bytes, level: int, index: int) -> None:
        while self.head is not None and self.head[0] < key:
            report.findings.append(Finding("tree", f"多出一个子树哈希（键 {self.head[0]}）。"))
            self.head = next(self.rows, None)
        if self.head is None or self.head[0] != key:
            report.findings.append(Finding("tree", f"缺少子树哈希（层 {level}，序号 {index}）。"))
            return
        if self.head[1] != value:
            report.findings.append(
                Finding("tree", f"子树哈希（层 {level}，序号 {index}）与由叶重建的值不符。")
            )
        self.head = next(self.rows, None)

    def rest(self, report: Report) -> None:
        if self.head is not None:
            report.findings.append(Finding("tree", f"多出子树哈希（键 {self.head[0]} 起）。"))


def _check_document(
    report: Report,
    index: int,
    record_type: str,
    record_id: int,
    data: bytes,
    by_type: dict[str, dict[int, LeafRef] | list[LeafRef]],
) -> None:
    try:
        document = canonical.parse(data)
    except canonical.CanonicalError as exc:
        report.findings.append(
            Finding(
                "bad_leaf", f"第 {index} 号叶不是规范 JSON：{exc}", record_type, record_id, index
            )
        )
        return
    if document.get("type") != record_type or document.get("id") != record_id:
        report.findings.append(
            Finding(
                "bad_leaf",
                f"第 {index} 号叶的内容是 {document.get('type')}:{document.get('id')}，"
                f"索引却记为 {record_type}:{record_id}。",
                record_type,
                record_id,
                index,
            )
        )
        return
    ref = LeafRef(index, record_id, data)
    if record_type not in by_type:
        kind = ledger_types.registered().get(record_type)
        by_type[record_type] = {} if isinstance(kind, ledger_types.SnapshotType) else []
    bucket = by_type[record_type]
    if isinstance(bucket, dict):
        bucket[record_id] = ref  # a snapshot type is checked against its latest leaf only
    else:
        bucket.append(ref)
