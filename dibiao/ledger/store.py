"""`tree.SubtreeStore` over the ledger's tables, reading each proof's nodes in two queries.

Which nodes a root, a proof or an append reads depends only on the tree sizes, never on the
hashes, so `planned` first runs the computation against a store that only notes the keys, fetches
them all at once, then runs it for real. A proof at 10^7 leaves costs two indexed queries, not
the ~48 round trips of reading node by node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db import connection

from dibiao.ledger.merkle import DIGEST_SIZES
from dibiao.ledger.models import LedgerLeaf, LedgerNode

T = TypeVar("T")


def node_key(level: int, index: int) -> int:
    """tlog's StoredHashIndex: where node (level, index) comes in the order appends write
    hashes. Unique for every node and below 2^63 for any tree this log can hold."""
    n = index
    for _ in range(level):
        n = 2 * n + 1
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


class _Recorder:
    def __init__(self, hash_len: int) -> None:
        self.keys: set[tuple[int, int]] = set()
        self._zero = bytes(hash_len)

    def get(self, level: int, index: int) -> bytes:
        self.keys.add((level, index))
        return self._zero

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        pass


class DatabaseStore:
    """Level 0 from `LedgerLeaf.leaf_hash` by index, levels ≥ 1 from `LedgerNode`."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self.hash_len = DIGEST_SIZES[algorithm]
        self.cache: dict[tuple[int, int], bytes] = {}

    def load(self, keys: Iterable[tuple[int, int]]) -> None:
        wanted = [k for k in keys if k not in self.cache]
        leaves = [index for level, index in wanted if level == 0]
        nodes = {node_key(level, index): (level, index) for level, index in wanted if level}
        if leaves:
            for index, value in LedgerLeaf.objects.filter(leaf_index__in=leaves).values_list(
                "leaf_index", "leaf_hash"
            ):
                if index is not None:
                    self.cache[(0, index)] = bytes(value)
        if nodes:
            for key, value in LedgerNode.objects.filter(key__in=list(nodes)).values_list(
                "key", "hash"
            ):
                self.cache[nodes[key]] = bytes(value)

    def get(self, level: int, index: int) -> bytes:
        if (level, index) not in self.cache:
            self.load([(level, index)])
        try:
            return self.cache[(level, index)]
        except KeyError:
            raise LookupError(f"ledger node ({level}, {index}) is missing") from None

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        # Level 0 is the leaves' own hash column, which the sequencer has just indexed. Raw
        # inserts: bulk_create's model instances cost more than the database's own work.
        nodes: list[tuple[int, bytes]] = []
        for level, index, value in items:
            self.cache[(level, index)] = value
            if level:
                nodes.append((node_key(level, index), value))
        if not nodes:
            return
        table = LedgerNode._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f'INSERT INTO "{table}" ("key", "hash") '  # noqa: S608 - a model's table name
                    "SELECT * FROM unnest(%s::bigint[], %s::bytea[])",
                    [[key for key, _ in nodes], [value for _, value in nodes]],
                )
            else:
                cursor.executemany(
                    f'INSERT INTO "{table}" ("key", "hash") VALUES (%s, %s)',  # noqa: S608
                    nodes,
                )

    def planned(self, compute: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """`compute(store, *args, **kwargs)` with every node it reads fetched up front."""
        recorder = _Recorder(self.hash_len)
        compute(recorder, *args, **kwargs)
        self.load(recorder.keys)
        return compute(self, *args, **kwargs)
