"""RFC 9162 tree hashing and proofs: the shared probes, the RFC 6962 example tree, SM3."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from dibiao.ledger import merkle
from dibiao.ledger.merkle import (
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

PROBES = Path("/work/shared/standards/merkle")

# The 8-leaf example tree of RFC 6962 (as used by Certificate Transparency's and
# transparency-dev/merkle's tests) and its roots for sizes 1..8.
RFC_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _probe_files(kind: str) -> list[Path]:
    return sorted((PROBES / kind).glob("**/*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _id(path: Path) -> str:
    return str(path.relative_to(PROBES))


def _reference_mth(leaves: list[bytes], algorithm: str = "sha256") -> bytes:
    """RFC 9162 §2.1.1 MTH written literally (recursive), to cross-check the streaming one."""
    h = merkle.hash_function(algorithm)
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return h(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return h(
        b"\x01" + _reference_mth(leaves[:k], algorithm) + _reference_mth(leaves[k:], algorithm)
    )


def test_probe_directory_is_complete():
    # Guards against the parametrized tests silently running over nothing.
    assert len(_probe_files("inclusion")) > 50
    assert len(_probe_files("consistency")) > 50


@pytest.mark.parametrize("path", _probe_files("inclusion"), ids=_id)
def test_inclusion_probe(path: Path):
    probe = json.loads(path.read_text())
    kwargs = {
        "index": probe["leafIdx"],
        "size": probe["treeSize"],
        "leaf_hash": _b64(probe["leafHash"]),
        "proof": [_b64(p) for p in probe["proof"] or []],
        "root": _b64(probe["root"]),
    }
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(**kwargs)
    else:
        verify_inclusion(**kwargs)


@pytest.mark.parametrize("path", _probe_files("consistency"), ids=_id)
def test_consistency_probe(path: Path):
    probe = json.loads(path.read_text())
    kwargs = {
        "first": probe["size1"],
        "second": probe["size2"],
        "first_root": _b64(probe["root1"]),
        "second_root": _b64(probe["root2"]),
        "proof": [_b64(p) for p in probe["proof"] or []],
    }
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(**kwargs)
    else:
        verify_consistency(**kwargs)


def test_hash_prefixes():
    assert leaf_hash(b"") == merkle.hash_function("sha256")(b"\x00")
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == merkle.hash_function("sha256")(b"\x01" + a + b)
    assert node_hash(a, b) != node_hash(b, a)


def test_empty_tree_root():
    assert root_from_leaf_hashes([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_roots(size: int):
    hashes = [leaf_hash(d) for d in RFC_LEAVES[:size]]
    assert root_from_leaf_hashes(hashes).hex() == RFC_ROOTS[size - 1]
    assert _reference_mth(RFC_LEAVES[:size]).hex() == RFC_ROOTS[size - 1]


def test_streaming_root_matches_reference_for_many_sizes():
    leaves = [i.to_bytes(4, "big") for i in range(70)]
    hashes = [leaf_hash(d) for d in leaves]
    for n in range(71):
        assert root_from_leaf_hashes(hashes[:n]) == _reference_mth(leaves[:n]), n
    # a generator works too (the log verifier streams)
    assert root_from_leaf_hashes(iter(hashes)) == _reference_mth(leaves)


def _tamper(item: bytes) -> bytes:
    return bytes([item[0] ^ 1]) + item[1:]


def test_generated_inclusion_proofs_up_to_8():
    hashes = [leaf_hash(d) for d in RFC_LEAVES]
    for size in range(1, 9):
        root = bytes.fromhex(RFC_ROOTS[size - 1])
        for index in range(size):
            proof = inclusion_proof(hashes, index, size)
            verify_inclusion(
                index=index, size=size, leaf_hash=hashes[index], proof=proof, root=root
            )
            for i in range(len(proof)):
                bad = [*proof[:i], _tamper(proof[i]), *proof[i + 1 :]]
                with pytest.raises(ProofError):
                    verify_inclusion(
                        index=index, size=size, leaf_hash=hashes[index], proof=bad, root=root
                    )
            with pytest.raises(ProofError):
                verify_inclusion(
                    index=index, size=size, leaf_hash=_tamper(hashes[index]), proof=proof, root=root
                )
            with pytest.raises(ProofError):
                verify_inclusion(
                    index=index, size=size, leaf_hash=hashes[index], proof=[*proof, root], root=root
                )
            if proof:
                with pytest.raises(ProofError):
                    verify_inclusion(
                        index=index,
                        size=size,
                        leaf_hash=hashes[index],
                        proof=proof[:-1],
                        root=root,
                    )
            if size > 1:
                with pytest.raises(ProofError):
                    verify_inclusion(
                        index=(index + 1) % size,
                        size=size,
                        leaf_hash=hashes[index],
                        proof=proof,
                        root=root,
                    )


def test_generated_consistency_proofs_up_to_8():
    hashes = [leaf_hash(d) for d in RFC_LEAVES]
    for first in range(1, 9):
        for second in range(first, 9):
            root1 = bytes.fromhex(RFC_ROOTS[first - 1])
            root2 = bytes.fromhex(RFC_ROOTS[second - 1])
            proof = consistency_proof(hashes, first, second)
            verify_consistency(
                first=first, second=second, first_root=root1, second_root=root2, proof=proof
            )
            for i in range(len(proof)):
                bad = [*proof[:i], _tamper(proof[i]), *proof[i + 1 :]]
                with pytest.raises(ProofError):
                    verify_consistency(
                        first=first, second=second, first_root=root1, second_root=root2, proof=bad
                    )
            with pytest.raises(ProofError):
                verify_consistency(
                    first=first,
                    second=second,
                    first_root=_tamper(root1),
                    second_root=root2,
                    proof=proof,
                )
            with pytest.raises(ProofError):
                verify_consistency(
                    first=first,
                    second=second,
                    first_root=root1,
                    second_root=_tamper(root2),
                    proof=proof,
                )


def test_generated_proofs_larger_trees():
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(100)]
    roots = [root_from_leaf_hashes(hashes[:n]) for n in range(101)]
    for size in (1, 2, 3, 31, 32, 33, 63, 64, 65, 99, 100):
        for index in {i for i in (0, 1, size // 2, size - 2, size - 1) if 0 <= i < size}:
            proof = inclusion_proof(hashes, index, size)
            verify_inclusion(
                index=index, size=size, leaf_hash=hashes[index], proof=proof, root=roots[size]
            )
        for first in {f for f in (1, 2, size // 3, size - 1, size) if 0 < f <= size}:
            proof = consistency_proof(hashes, first, size)
            verify_consistency(
                first=first,
                second=size,
                first_root=roots[first],
                second_root=roots[size],
                proof=proof,
            )


def test_verification_of_huge_tree_is_iterative():
    # A tree of 10^7 (and 2^63) leaves: the proof length and work are O(log n), no recursion.
    # Built from a synthetic right-edge so no 10^7-leaf list is needed.
    for size in (10**7, 2**63 + 12345):
        index = size // 3
        leaf = leaf_hash(b"x")
        proof = [
            leaf_hash(i.to_bytes(2, "big")) for i in range(merkle._inclusion_length(index, size))
        ]
        root = _root_from_proof(index, size, leaf, proof)
        verify_inclusion(index=index, size=size, leaf_hash=leaf, proof=proof, root=root)


def _root_from_proof(index: int, size: int, leaf: bytes, proof: list[bytes]) -> bytes:
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r


def test_generator_argument_errors():
    hashes = [leaf_hash(d) for d in RFC_LEAVES]
    with pytest.raises(ProofError):
        inclusion_proof(hashes, 8, 8)
    with pytest.raises(ProofError):
        inclusion_proof(hashes, 0, 9)
    with pytest.raises(ProofError):
        consistency_proof(hashes, 0, 4)
    with pytest.raises(ProofError):
        consistency_proof(hashes, 5, 4)
    assert consistency_proof(hashes, 4, 4) == []


def test_verifier_messages():
    root = bytes.fromhex(RFC_ROOTS[7])
    h = leaf_hash(b"")
    with pytest.raises(ProofError, match="not below the tree size"):
        verify_inclusion(index=8, size=8, leaf_hash=h, proof=[], root=root)
    with pytest.raises(ProofError, match="must have 3 hashes"):
        verify_inclusion(index=0, size=8, leaf_hash=h, proof=[h], root=root)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(first=0, second=8, first_root=root, second_root=root, proof=[])
    with pytest.raises(ProofError, match="larger than"):
        verify_consistency(first=8, second=4, first_root=root, second_root=root, proof=[])
    with pytest.raises(ProofError, match="must be empty"):
        verify_consistency(first=8, second=8, first_root=root, second_root=root, proof=[root])
    with pytest.raises(ProofError, match="root hashes differ"):
        verify_consistency(first=8, second=8, first_root=root, second_root=h, proof=[])
    verify_consistency(first=8, second=8, first_root=root, second_root=root, proof=[])


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="unknown hash algorithm"):
        leaf_hash(b"", algorithm="md5")


def test_sm3_standard_vector():
    assert merkle.hash_function("sm3")(b"abc").hex() == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_sm3_tree_proofs_verify_with_sm3_only():
    hashes = [leaf_hash(d, algorithm="sm3") for d in RFC_LEAVES]
    assert hashes[0] == merkle.hash_function("sm3")(b"\x00")
    assert hashes != [leaf_hash(d) for d in RFC_LEAVES]
    roots = [root_from_leaf_hashes(hashes[:n], algorithm="sm3") for n in range(9)]
    assert roots[8] == _reference_mth(RFC_LEAVES, "sm3")
    assert roots[0] == merkle.hash_function("sm3")(b"")
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(hashes, index, size, algorithm="sm3")
            args: dict[str, Any] = {
                "index": index,
                "size": size,
                "leaf_hash": hashes[index],
                "proof": proof,
                "root": roots[size],
            }
            verify_inclusion(**args, algorithm="sm3")
            if size > 1:  # a single leaf's root is its leaf hash: no hashing to disagree on
                with pytest.raises(ProofError):
                    verify_inclusion(**args, algorithm="sha256")
    proof = consistency_proof(hashes, 3, 8, algorithm="sm3")
    cargs: dict[str, Any] = {
        "first": 3,
        "second": 8,
        "first_root": roots[3],
        "second_root": roots[8],
        "proof": proof,
    }
    verify_consistency(**cargs, algorithm="sm3")
    with pytest.raises(ProofError):
        verify_consistency(**cargs, algorithm="sha256")
