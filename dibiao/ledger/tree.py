"""Stored subtree hashes: RFC 9162 roots and proofs in O(log n) reads, as Trillian and tlog do.

Node (level, index) is the hash of the complete, aligned block of leaves
[index·2^level, (index+1)·2^level): level 0 holds the leaf hashes, level l the node hash of its two
level l-1 children. A node is written once, when the block becomes complete, and never changes,
so one store serves every earlier tree size as well as the current one.

The root, or a proof hash, of a range that is not such a block (the right edge of a tree whose
size is not a power of two) is computed from the complete blocks that cover it, split as
RFC 9162's MTH splits (k = the largest power of two below n), i.e. folded from the right. A range
reached by RFC 9162's splits of [0, size) always starts on a multiple of its k, so it costs one
read per set bit of its length; an inclusion or consistency proof reads at most about 2·log2(n)
nodes.

No Django here: the ledger app implements `SubtreeStore` over a table; `MemoryStore` serves tests
and tools. The hashing and the results are exactly those of `merkle.py`'s list-based functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from .merkle import (
    _NODE_PREFIX,
    DIGEST_SIZES,
    ProofError,
    _split,
    hash_function,
)

__all__ = [
    "MemoryStore",
    "SubtreeStore",
    "append",
    "append_reads",
    "consistency_proof",
    "inclusion_proof",
    "root",
]


class SubtreeStore(Protocol):
    """Hashes of complete subtrees, keyed by (level, index)."""

    def get(self, level: int, index: int) -> bytes:
        """The hash of node (level, index); KeyError (or similar) if it was never written."""
        ...

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        """Write (level, index, hash) triples; called once per appended batch."""
        ...


class MemoryStore:
    """A dict-backed `SubtreeStore` for tests and tools."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        for level, index, value in items:
            self.nodes[(level, index)] = value

    def __len__(self) -> int:
        return len(self.nodes)


def append(
    store: SubtreeStore, *, size: int, leaf_hashes: Sequence[bytes], algorithm: str = "sha256"
) -> int:
    """Append `leaf_hashes` to the tree of `size` leaves held in `store`; return the new size.

    Writes the level-0 hashes and every subtree that the batch completes in a single `put_many`
    call (none for an empty batch). Reads at most one stored node per level: the left sibling,
    written by an earlier batch, of the first new node at that level.
    """
    h = hash_function(algorithm)
    hash_len = DIGEST_SIZES[algorithm]
    if size < 0:
        raise ValueError(f"tree size must not be negative; got {size}")
    for i, item in enumerate(leaf_hashes):
        if len(item) != hash_len:
            raise ValueError(f"leaf hash {i} is {len(item)} bytes long; expected {hash_len}")
    new_size = size + len(leaf_hashes)
    if new_size == size:
        return size
    items: list[tuple[int, int, bytes]] = [
        (0, size + i, item) for i, item in enumerate(leaf_hashes)
    ]
    # The new nodes of the level below, by index: [lo, lo + len(below)).
    below: list[bytes] = list(leaf_hashes)
    lo = size
    level = 0
    while True:
        level += 1
        first, end = size >> level, new_size >> level  # new complete nodes at this level
        if first >= end:
            break
        current: list[bytes] = []
        for index in range(first, end):
            left_index, right_index = 2 * index, 2 * index + 1
            left = below[left_index - lo] if left_index >= lo else store.get(level - 1, left_index)
            right = below[right_index - lo]  # right child ≥ size >> (level-1), so always new
            current.append(h(_NODE_PREFIX + left + right))
        items.extend((level, first + i, value) for i, value in enumerate(current))
        below, lo = current, first
    store.put_many(items)
    return new_size


def append_reads(size: int, new_size: int) -> list[tuple[int, int]]:
    """The stored nodes `append` reads to grow the tree from `size` to `new_size` leaves: at each
    level that gets new nodes, the left sibling (written earlier) of the first new node, which
    exists exactly when the level below ends on an odd index."""
    keys: list[tuple[int, int]] = []
    level = 0
    while True:
        level += 1
        if size >> level >= new_size >> level:
            return keys
        below = size >> (level - 1)
        if below & 1:
            keys.append((level - 1, below - 1))


def _range_hash(store: SubtreeStore, start: int, end: int, algorithm: str) -> bytes:
    """MTH of leaves [start, end) (end > start) from the stored complete subtrees."""
    h = hash_function(algorithm)
    lefts: list[bytes] = []
    while True:
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            value = store.get(n.bit_length() - 1, start // n)
            break
        k = _split(n)
        if start % k == 0:
            lefts.append(store.get(k.bit_length() - 1, start // k))
        else:
            # Not reached from RFC 9162's splits of [0, size); kept so any range works.
            lefts.append(_range_hash(store, start, start + k, algorithm))
        start += k
    for left in reversed(lefts):
        value = h(_NODE_PREFIX + left + value)
    return value


def root(store: SubtreeStore, size: int, algorithm: str = "sha256") -> bytes:
    """MTH of the first `size` leaves (H("") for size 0)."""
    if size < 0:
        raise ValueError(f"tree size must not be negative; got {size}")
    if size == 0:
        return hash_function(algorithm)(b"")
    return _range_hash(store, 0, size, algorithm)


def inclusion_proof(
    store: SubtreeStore, index: int, size: int, algorithm: str = "sha256"
) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-to-root order."""
    if not 0 <= index < size:
        raise ProofError(f"cannot prove index {index} in a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(_range_hash(store, start + k, end, algorithm))
            end = start + k
        else:
            path.append(_range_hash(store, start, start + k, algorithm))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_proof(
    store: SubtreeStore, first: int, second: int, algorithm: str = "sha256"
) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 (empty when first == second)."""
    if not 0 < first <= second:
        raise ProofError(f"cannot prove consistency between sizes {first} and {second}")
    path: list[bytes] = []
    start, end, m, b = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not b:
                path.append(_range_hash(store, start, end, algorithm))
            break
        k = _split(n)
        if m <= k:
            path.append(_range_hash(store, start + k, end, algorithm))
            end = start + k
        else:
            path.append(_range_hash(store, start, start + k, algorithm))
            start, m, b = start + k, m - k, False
    path.reverse()
    return path
