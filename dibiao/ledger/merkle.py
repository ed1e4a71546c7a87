"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing, proof generation and verification.

Leaf hash = H(0x00 ‖ data), node hash = H(0x01 ‖ left ‖ right); the different prefixes keep a leaf
from ever being passed off as an inner node (second-preimage resistance). H is SHA-256 by default;
SM3 may be selected per deployment, and a log must keep the algorithm it was created with.

Verification is iterative (RFC 9162 §2.1.3.2 and §2.1.4.2), so a proof for a tree of 10^7 or
10^19 leaves costs O(log n) hash calls and no recursion. Generation here works from a list of
leaf hashes (O(n)); the ledger app will later generate the same proofs from stored subtree hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Final

from cryptography.hazmat.primitives import hashes

ALGORITHMS: Final[tuple[str, ...]] = ("sha256", "sm3")
# Both algorithms produce 32-byte digests; kept per algorithm so a check never assumes it.
DIGEST_SIZES: Final[dict[str, int]] = {"sha256": 32, "sm3": 32}

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"


class ProofError(ValueError):
    """A proof, or the sizes and hashes it is checked against, is invalid."""


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _sm3(data: bytes) -> bytes:
    # hashlib only has SM3 when OpenSSL exposes it to Python, which varies by build; the
    # `cryptography` wheel always ships it, so use that.
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


_HASHERS: Final[dict[str, Callable[[bytes], bytes]]] = {"sha256": _sha256, "sm3": _sm3}


def hash_function(algorithm: str) -> Callable[[bytes], bytes]:
    """Return H for `algorithm` ("sha256" or "sm3"); an unknown name is an error, not a default."""
    try:
        return _HASHERS[algorithm]
    except KeyError:
        raise ValueError(
            f"unknown hash algorithm {algorithm!r}; expected one of {', '.join(ALGORITHMS)}"
        ) from None


def digest_size(algorithm: str) -> int:
    hash_function(algorithm)  # validates the name
    return DIGEST_SIZES[algorithm]


def empty_root(*, algorithm: str = "sha256") -> bytes:
    """MTH({}) = H(""), the root of the empty tree."""
    return hash_function(algorithm)(b"")


def leaf_hash(data: bytes, *, algorithm: str = "sha256") -> bytes:
    """H(0x00 ‖ data)."""
    return hash_function(algorithm)(_LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes, *, algorithm: str = "sha256") -> bytes:
    """H(0x01 ‖ left ‖ right)."""
    return hash_function(algorithm)(_NODE_PREFIX + left + right)


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes], *, algorithm: str = "sha256") -> bytes:
    """MTH of the leaves whose hashes are given, for any n (n = 0 gives H("")).

    Streams: keeps only the O(log n) roots of the complete subtrees seen so far (as tlog does),
    so a downloaded log of millions of entries can be checked without holding it in memory.
    RFC 9162 splits at the largest power of two below n, which is exactly "merge equal-sized
    complete subtrees as they appear, then fold the remaining ones from the right".
    """
    h = hash_function(algorithm)
    # stack of (height, hash) of complete subtrees, heights strictly decreasing from bottom
    stack: list[tuple[int, bytes]] = []
    for item in leaf_hashes:
        height, value = 0, item
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            value = h(_NODE_PREFIX + left + value)
            height += 1
        stack.append((height, value))
    if not stack:
        return h(b"")
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = h(_NODE_PREFIX + left + value)
    return value


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int, algorithm: str) -> bytes:
    """MTH of leaf_hashes[start:end] without copying the slice."""
    return root_from_leaf_hashes((leaf_hashes[i] for i in range(start, end)), algorithm=algorithm)


def _split(n: int) -> int:
    """The largest power of two strictly less than n (n ≥ 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(
    leaf_hashes: Sequence[bytes], index: int, size: int, *, algorithm: str = "sha256"
) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-to-root order."""
    if not 0 <= index < size <= len(leaf_hashes):
        raise ProofError(
            f"cannot prove index {index} in a tree of size {size} "
            f"({len(leaf_hashes)} leaves available)"
        )
    # Walk from the root down, collecting the sibling subtree at each split, then reverse:
    # iterative, so depth is never a concern, and each sibling is hashed once (O(n) total).
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(_subtree_root(leaf_hashes, start + k, end, algorithm))
            end = start + k
        else:
            path.append(_subtree_root(leaf_hashes, start, start + k, algorithm))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_proof(
    leaf_hashes: Sequence[bytes], first: int, second: int, *, algorithm: str = "sha256"
) -> list[bytes]:
    """PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 (empty when first == second)."""
    if not 0 < first <= second <= len(leaf_hashes):
        raise ProofError(
            f"cannot prove consistency between sizes {first} and {second} "
            f"({len(leaf_hashes)} leaves available)"
        )
    # SUBPROOF(m, D[start:end], b) unrolled; collected root-first, then reversed.
    path: list[bytes] = []
    start, end, m, b = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not b:
                path.append(_subtree_root(leaf_hashes, start, end, algorithm))
            break
        k = _split(n)
        if m <= k:
            path.append(_subtree_root(leaf_hashes, start + k, end, algorithm))
            end = start + k
        else:
            path.append(_subtree_root(leaf_hashes, start, start + k, algorithm))
            start, m, b = start + k, m - k, False
    path.reverse()
    return path


def _check_hash(value: bytes, what: str, size: int) -> None:
    if len(value) != size:
        raise ProofError(f"{what} is {len(value)} bytes long; expected {size}")


def verify_inclusion(
    *,
    index: int,
    size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root: bytes,
    algorithm: str = "sha256",
) -> None:
    """Check that `leaf_hash` is at `index` in the tree of `size` leaves with `root`.

    Returns None on success; raises ProofError saying why otherwise.
    """
    h = hash_function(algorithm)
    hash_len = DIGEST_SIZES[algorithm]
    if index < 0 or size < 0:
        raise ProofError(f"index ({index}) and size ({size}) must not be negative")
    if index >= size:
        raise ProofError(f"index {index} is not below the tree size {size}")
    _check_hash(leaf_hash, "leaf hash", hash_len)
    _check_hash(root, "root hash", hash_len)
    for i, item in enumerate(proof):
        _check_hash(item, f"proof item {i}", hash_len)
    # The proof length is fixed by (index, size): checking it first gives a clearer message than
    # a root mismatch, and rejects padded or truncated proofs outright.
    expected = _inclusion_length(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof for index {index} in size {size} must have {expected} hashes; "
            f"got {len(proof)}"
        )
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:  # unreachable after the length check; kept as RFC 9162 states it
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = h(_NODE_PREFIX + p + r)
            if not fn & 1:
                # fn is the last node of its level with no right sibling: climb until it is a
                # right child (or the root), as those levels contribute no proof hash.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = h(_NODE_PREFIX + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    if r != root:
        raise ProofError("inclusion proof does not lead to the given root hash")


def _inclusion_length(index: int, size: int) -> int:
    # Levels below the point where the paths of `index` and of the last leaf diverge each give
    # one hash; above it, only the levels where the right-edge node has a left sibling do.
    inner = (index ^ (size - 1)).bit_length()
    border = bin(index >> inner).count("1")
    return inner + border


def verify_consistency(
    *,
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
    algorithm: str = "sha256",
) -> None:
    """Check that the tree of `second` leaves with `second_root` extends the tree of `first` leaves
    with `first_root` (RFC 9162 §2.1.4.2). Returns None on success, raises ProofError otherwise.
    """
    h = hash_function(algorithm)
    hash_len = DIGEST_SIZES[algorithm]
    if first < 0 or second < 0:
        raise ProofError(f"sizes must not be negative (first {first}, second {second})")
    if first > second:
        raise ProofError(f"first size {first} is larger than second size {second}")
    if first == 0:
        # Every tree extends the empty tree; a proof of that proves nothing, so refuse it rather
        # than let a caller believe something was checked.
        raise ProofError("a consistency proof from the empty tree (first size 0) is meaningless")
    if first == second:
        # Nothing to prove: the trees are the same iff the roots are byte-for-byte equal. The
        # shared probes (as transparency-dev/merkle) accept this without a root-length check.
        if proof:
            raise ProofError("sizes are equal, so the consistency proof must be empty")
        if first_root != second_root:
            raise ProofError("sizes are equal but the root hashes differ")
        return
    _check_hash(first_root, "first root hash", hash_len)
    _check_hash(second_root, "second root hash", hash_len)
    for i, item in enumerate(proof):
        _check_hash(item, f"proof item {i}", hash_len)
    if not proof:
        raise ProofError("consistency proof is empty but the sizes differ")
    expected = _consistency_length(first, second)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof from size {first} to {second} must have {expected} hashes; "
            f"got {len(proof)}"
        )
    path = list(proof)
    if first & (first - 1) == 0:
        # first is a power of two: the old root is itself a node of the new tree, and the
        # proof omits it.
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = h(_NODE_PREFIX + c + fr)
            sr = h(_NODE_PREFIX + c + sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = h(_NODE_PREFIX + sr + c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != first_root:
        raise ProofError("consistency proof does not lead to the first root hash")
    if sr != second_root:
        raise ProofError("consistency proof does not lead to the second root hash")


def _consistency_length(first: int, second: int) -> int:
    # Same shape as an inclusion proof of leaf first-1 in `second`, minus the hash of the
    # complete subtree ending at first-1 when the old root is that subtree (first a power of 2).
    index = first - 1
    inner = (index ^ (second - 1)).bit_length()
    border = bin(index >> inner).count("1")
    # The levels covered by the trailing one bits of first-1 (the trailing zeros of first) lie
    # inside the complete subtree the walk starts from, so they contribute no hash.
    shift = _trailing_ones(index)
    start = 0 if first & (first - 1) == 0 else 1
    return inner - shift + start + border


def _trailing_ones(n: int) -> int:
    return (n ^ (n + 1)).bit_length() - 1
