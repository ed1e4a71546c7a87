"""Stored-subtree proofs (tree.py) against the list-based ones of merkle.py, and their cost."""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from dibiao.ledger import merkle, tree
from dibiao.ledger.merkle import ProofError, leaf_hash, node_hash


def _leaves(n: int, algorithm: str = "sha256", seed: int = 0) -> list[bytes]:
    return [leaf_hash(f"{seed}:{i}".encode(), algorithm=algorithm) for i in range(n)]


def _build(
    leaves: list[bytes], rng: random.Random, algorithm: str = "sha256", max_batch: int = 7
) -> tree.MemoryStore:
    store = tree.MemoryStore()
    size = 0
    while size < len(leaves):
        batch = leaves[size : size + rng.randint(1, max_batch)]
        size = tree.append(store, size=size, leaf_hashes=batch, algorithm=algorithm)
    assert size == len(leaves)
    return store


class CountingStore(tree.MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.puts = 0

    def get(self, level: int, index: int) -> bytes:
        self.reads += 1
        return super().get(level, index)

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        self.puts += 1
        super().put_many(items)


def _check_all(store: tree.MemoryStore, leaves: list[bytes], algorithm: str = "sha256") -> None:
    n = len(leaves)
    roots = [merkle.root_from_leaf_hashes(leaves[:s], algorithm=algorithm) for s in range(n + 1)]
    for size in range(n + 1):
        assert tree.root(store, size, algorithm) == roots[size]
        for index in range(size):
            proof = tree.inclusion_proof(store, index, size, algorithm)
            assert proof == merkle.inclusion_proof(leaves, index, size, algorithm=algorithm)
            merkle.verify_inclusion(
                index=index,
                size=size,
                leaf_hash=leaves[index],
                proof=proof,
                root=roots[size],
                algorithm=algorithm,
            )
        for first in range(1, size + 1):
            proof = tree.consistency_proof(store, first, size, algorithm)
            assert proof == merkle.consistency_proof(leaves, first, size, algorithm=algorithm)
            merkle.verify_consistency(
                first=first,
                second=size,
                first_root=roots[first],
                second_root=roots[size],
                proof=proof,
                algorithm=algorithm,
            )


@pytest.mark.parametrize("n", range(41))
def test_every_proof_matches_merkle_up_to_40(n: int) -> None:
    leaves = _leaves(n)
    store = _build(leaves, random.Random(n))
    # Every node of every complete block within n leaves is stored, and nothing else.
    assert len(store) == sum(n >> level for level in range(n.bit_length() + 1))
    _check_all(store, leaves)


def test_single_leaf_batches_and_one_batch_give_the_same_store() -> None:
    leaves = _leaves(37)
    one = tree.MemoryStore()
    assert tree.append(one, size=0, leaf_hashes=leaves) == 37
    singles = tree.MemoryStore()
    for i, item in enumerate(leaves):
        assert tree.append(singles, size=i, leaf_hashes=[item]) == i + 1
    assert one.nodes == singles.nodes


def test_sm3_small_tree() -> None:
    leaves = _leaves(13, algorithm="sm3")
    store = _build(leaves, random.Random(3), algorithm="sm3")
    _check_all(store, leaves, algorithm="sm3")
    assert tree.root(store, 13, "sm3") != tree.root(_build(_leaves(13), random.Random(3)), 13)


@pytest.mark.parametrize("n", [1000, 4097])
def test_random_proofs_at_larger_sizes(n: int) -> None:
    rng = random.Random(n)
    leaves = _leaves(n)
    store = _build(leaves, rng, max_batch=300)
    sizes = [n, n - 1, 1024, 513, *(rng.randint(1, n) for _ in range(6))]
    for size in (s for s in sizes if s <= n):
        expected_root = merkle.root_from_leaf_hashes(leaves[:size])
        assert tree.root(store, size) == expected_root
        for index in {0, size - 1, *(rng.randrange(size) for _ in range(10))}:
            proof = tree.inclusion_proof(store, index, size)
            assert proof == merkle.inclusion_proof(leaves, index, size)
            merkle.verify_inclusion(
                index=index, size=size, leaf_hash=leaves[index], proof=proof, root=expected_root
            )
        for first in {1, size, *(rng.randint(1, size) for _ in range(10))}:
            proof = tree.consistency_proof(store, first, size)
            assert proof == merkle.consistency_proof(leaves, first, size)
            merkle.verify_consistency(
                first=first,
                second=size,
                first_root=merkle.root_from_leaf_hashes(leaves[:first]),
                second_root=expected_root,
                proof=proof,
            )


def test_append_writes_once_per_batch_and_reads_little() -> None:
    store = CountingStore()
    size = 0
    rng = random.Random(7)
    leaves = _leaves(5000)
    batches = 0
    while size < len(leaves):
        step = rng.randint(1, 200)
        before = store.reads
        size = tree.append(store, size=size, leaf_hashes=leaves[size : size + step])
        batches += 1
        # at most one stored read per level (the left sibling of the first new node)
        assert store.reads - before <= size.bit_length()
    assert store.puts == batches
    assert tree.append(store, size=size, leaf_hashes=[]) == size
    assert store.puts == batches
    assert tree.root(store, size) == merkle.root_from_leaf_hashes(leaves)


class UniformStore:
    """A store of `size` identical leaves, answering any node from the per-level hash.

    Consistent with a real tree of `size` copies of one leaf, so proofs from it verify; it
    refuses nodes outside the complete blocks of `size`, as a real store would not have them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0
        self.levels = [leaf_hash(b"same")]
        while len(self.levels) <= size.bit_length():
            self.levels.append(node_hash(self.levels[-1], self.levels[-1]))

    def get(self, level: int, index: int) -> bytes:
        self.reads += 1
        if (index + 1) << level > self.size:
            raise KeyError((level, index))
        return self.levels[level]

    def put_many(self, items: Iterable[tuple[int, int, bytes]]) -> None:
        raise AssertionError("read-only")


@pytest.mark.parametrize("size", [1 << 20, (1 << 20) - 1, (1 << 20) + 12345, (1 << 40) - 1])
def test_proofs_read_logarithmically_many_nodes(size: int) -> None:
    store = UniformStore(size)
    log_n = size.bit_length()
    store.reads = 0
    tree_root = tree.root(store, size)
    assert store.reads <= log_n
    if size & (size - 1) == 0:
        assert tree_root == store.levels[log_n - 1]
    for index in (0, 1, size // 3, size - 2, size - 1):
        store.reads = 0
        proof = tree.inclusion_proof(store, index, size)
        assert store.reads <= 2 * log_n + 2
        merkle.verify_inclusion(
            index=index, size=size, leaf_hash=store.levels[0], proof=proof, root=tree_root
        )
    for first in (1, 2, 3, size // 2 + 1, size - 1):
        store.reads = 0
        proof = tree.consistency_proof(store, first, size)
        assert store.reads <= 2 * log_n + 2
        merkle.verify_consistency(
            first=first,
            second=size,
            first_root=tree.root(store, first),
            second_root=tree_root,
            proof=proof,
        )


def test_inclusion_reads_at_2_16_on_a_real_store() -> None:
    size = 1 << 16
    leaves = _leaves(size)
    store = CountingStore()
    for start in range(0, size, 4096):
        tree.append(store, size=start, leaf_hashes=leaves[start : start + 4096])
    for probe in (size, size - 1, 40000):
        expected_root = merkle.root_from_leaf_hashes(leaves[:probe])
        for index in (0, probe // 2, probe - 1):
            store.reads = 0
            proof = tree.inclusion_proof(store, index, probe)
            assert store.reads <= 2 * probe.bit_length() + 2
            merkle.verify_inclusion(
                index=index, size=probe, leaf_hash=leaves[index], proof=proof, root=expected_root
            )


def test_read_bound_for_every_proof_up_to_130() -> None:
    leaves = _leaves(130)
    store = CountingStore()
    tree.append(store, size=0, leaf_hashes=leaves)
    for size in range(1, 131):
        bound = 2 * size.bit_length() + 2
        for index in range(size):
            store.reads = 0
            tree.inclusion_proof(store, index, size)
            assert store.reads <= bound, (index, size)
        for first in range(1, size + 1):
            store.reads = 0
            tree.consistency_proof(store, first, size)
            assert store.reads <= bound, (first, size)


def test_range_hash_of_any_range() -> None:
    # Proofs only ask for ranges reached by RFC 9162's splits; unaligned ones still work.
    leaves = _leaves(23)
    store = _build(leaves, random.Random(23))
    for start in range(23):
        for end in range(start + 1, 24):
            expected = merkle.root_from_leaf_hashes(leaves[start:end])
            assert tree._range_hash(store, start, end, "sha256") == expected


def test_invalid_arguments() -> None:
    store = tree.MemoryStore()
    tree.append(store, size=0, leaf_hashes=_leaves(4))
    with pytest.raises(ProofError):
        tree.inclusion_proof(store, 4, 4)
    with pytest.raises(ProofError):
        tree.inclusion_proof(store, -1, 4)
    with pytest.raises(ProofError):
        tree.consistency_proof(store, 0, 4)
    with pytest.raises(ProofError):
        tree.consistency_proof(store, 3, 2)
    with pytest.raises(ValueError, match="negative"):
        tree.root(store, -1)
    with pytest.raises(ValueError, match="negative"):
        tree.append(store, size=-1, leaf_hashes=[])
    with pytest.raises(ValueError, match="bytes long"):
        tree.append(store, size=4, leaf_hashes=[b"short"])
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        tree.append(store, size=4, leaf_hashes=_leaves(1), algorithm="md5")
    assert tree.root(store, 0) == merkle.empty_root()


def test_append_reads_names_exactly_the_nodes_append_reads():
    class Recording(tree.MemoryStore):
        def __init__(self) -> None:
            super().__init__()
            self.read: set[tuple[int, int]] = set()

        def get(self, level: int, index: int) -> bytes:
            self.read.add((level, index))
            return super().get(level, index)

    leaves = [merkle.leaf_hash(bytes([n])) for n in range(70)]
    for size in range(0, 64):
        for new_size in range(size, 70):
            store = Recording()
            tree.append(store, size=0, leaf_hashes=leaves[:size])
            store.read.clear()
            tree.append(store, size=size, leaf_hashes=leaves[size:new_size])
            assert store.read == set(tree.append_reads(size, new_size)), (size, new_size)
