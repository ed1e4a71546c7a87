"""Offline verifier for the Dibiao ledger: `python -m dibiao.ledger.verify <command> ...`.

Needs only the standard library and `cryptography` (no Django, no database), so anyone holding
the published verifier key can check what the ledger's public API returned:

    inclusion    a leaf is in the tree of a given size and root
    consistency  a later tree extends an earlier one (nothing was rewritten)
    checkpoint   a checkpoint note is signed by the log's key
    log          a downloaded list of all entries hashes to a signed checkpoint's root

Hashes and proof items are standard base64, as in RFC 9162 and the public API. Exit status is 0
when everything verifies, 1 (with the reason on stderr) when it does not, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from dibiao.ledger.merkle import (
    ALGORITHMS,
    ProofError,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from dibiao.ledger.note import NoteError, verify_note


class VerifyError(Exception):
    """Input that does not verify (or cannot be read); reported with exit status 1."""


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise VerifyError(f"{what} is not valid base64: {text!r}") from exc


def _proof_items(values: Sequence[str] | None) -> list[bytes]:
    # Accept repeated --proof and/or comma-separated lists, so a JSON array pasted as
    # "a,b,c" works as well as one flag per item.
    items: list[bytes] = []
    for value in values or ():
        for part in value.split(","):
            if part.strip():
                items.append(_b64(part, "proof item"))
    return items


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyError(f"cannot read {path}: {exc}") from exc


def _verifier_key(args: argparse.Namespace) -> str:
    if args.key_file:
        return _read_text(args.key_file).strip()
    if args.key:
        return str(args.key)
    raise VerifyError("give the log's verifier key with --key or --key-file")


def _cmd_inclusion(args: argparse.Namespace) -> str:
    if args.leaf_file is not None:
        try:
            data = Path(args.leaf_file).read_bytes()
        except OSError as exc:
            raise VerifyError(f"cannot read {args.leaf_file}: {exc}") from exc
        hashed = leaf_hash(data, algorithm=args.algorithm)
    else:
        hashed = _b64(args.leaf_hash, "leaf hash")
    if args.checkpoint is not None:
        # Against a signed checkpoint: the root (and by default the size) come from the note,
        # so the proof is tied to what the log's key vouched for, not to a hash pasted in.
        checkpoint = verify_note(_read_text(args.checkpoint), verifier_key=_verifier_key(args))
        size = checkpoint.size if args.size is None else args.size
        if size != checkpoint.size:
            raise VerifyError(f"--size {size} differs from the checkpoint's size {checkpoint.size}")
        root = checkpoint.root
    else:
        if args.size is None:
            raise VerifyError("give --size with --root")
        size, root = args.size, _b64(args.root, "root hash")
    verify_inclusion(
        index=args.index,
        size=size,
        leaf_hash=hashed,
        proof=_proof_items(args.proof),
        root=root,
        algorithm=args.algorithm,
    )
    return f"OK: leaf {args.index} is included in the tree of size {size}"


def _cmd_consistency(args: argparse.Namespace) -> str:
    verify_consistency(
        first=args.first,
        second=args.second,
        first_root=_b64(args.first_root, "first root hash"),
        second_root=_b64(args.second_root, "second root hash"),
        proof=_proof_items(args.proof),
        algorithm=args.algorithm,
    )
    return f"OK: the tree of size {args.second} extends the tree of size {args.first}"


def _cmd_checkpoint(args: argparse.Namespace) -> str:
    checkpoint = verify_note(_read_text(args.note), verifier_key=_verifier_key(args))
    root = base64.b64encode(checkpoint.root).decode("ascii")
    return f"OK: checkpoint {checkpoint.origin} size {checkpoint.size} root {root}"


def _entry_leaves(path: str) -> Iterator[bytes]:
    """Leaf bytes of a JSON-lines file of {"index": n, "leaf": base64}, checked to be 0, 1, 2, ..."""
    try:
        with Path(path).open(encoding="utf-8") as handle:
            yield from _parse_entries(handle, path)
    except (OSError, UnicodeDecodeError) as exc:
        raise VerifyError(f"cannot read {path}: {exc}") from exc


def _parse_entries(lines: Iterable[str], path: str) -> Iterator[bytes]:
    expected = 0
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            index, leaf = entry["index"], entry["leaf"]
        except (ValueError, TypeError, KeyError) as exc:
            raise VerifyError(f"{path}:{line_number}: not an {{index, leaf}} entry") from exc
        # Entries must be complete and in order: a gap or a duplicate would let a log show
        # different histories to different people while the count still matched.
        if type(index) is not int or index != expected:
            raise VerifyError(f"{path}:{line_number}: expected index {expected}, got {index!r}")
        if not isinstance(leaf, str):
            raise VerifyError(f"{path}:{line_number}: leaf must be a base64 string")
        yield _b64(leaf, f"{path}:{line_number} leaf")
        expected += 1


def _cmd_log(args: argparse.Namespace) -> str:
    checkpoint = verify_note(_read_text(args.note), verifier_key=_verifier_key(args))
    count = 0

    def hashes() -> Iterator[bytes]:
        nonlocal count
        for data in _entry_leaves(args.entries):
            if count == checkpoint.size:
                # Entries appended after the checkpoint are not covered by it.
                break
            count += 1
            yield leaf_hash(data, algorithm=args.algorithm)

    root = root_from_leaf_hashes(hashes(), algorithm=args.algorithm)
    if count != checkpoint.size:
        raise VerifyError(f"checkpoint covers {checkpoint.size} entries but the file has {count}")
    if root != checkpoint.root:
        raise VerifyError(
            f"the {count} entries do not hash to the checkpoint's root: this is not the log "
            "the checkpoint was signed for"
        )
    return f"OK: all {count} entries hash to the root of checkpoint {checkpoint.origin}"


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        default="sha256",
        help="the log's hash algorithm (default: sha256)",
    )
    keyed = argparse.ArgumentParser(add_help=False)
    keyed.add_argument("--key", help="verifier key: name+hash+base64 key")
    keyed.add_argument("--key-file", help="file holding the verifier key")

    parser = argparse.ArgumentParser(
        prog="python -m dibiao.ledger.verify",
        description="Verify Dibiao ledger proofs and checkpoints offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inclusion", parents=[common, keyed], help="verify an inclusion proof")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--size", type=int, help="tree size (default: the checkpoint's)")
    leaf = p.add_mutually_exclusive_group(required=True)
    leaf.add_argument("--leaf-hash", help="base64 leaf hash")
    leaf.add_argument("--leaf-file", help="file holding the leaf's bytes (hashed here)")
    p.add_argument("--proof", action="append", help="base64 proof item (repeat, or comma list)")
    root = p.add_mutually_exclusive_group(required=True)
    root.add_argument("--root", help="base64 root hash")
    root.add_argument("--checkpoint", help="signed checkpoint note file (needs --key/--key-file)")
    p.set_defaults(func=_cmd_inclusion)

    p = sub.add_parser("consistency", parents=[common], help="verify a consistency proof")
    p.add_argument("--first", type=int, required=True)
    p.add_argument("--second", type=int, required=True)
    p.add_argument("--first-root", required=True)
    p.add_argument("--second-root", required=True)
    p.add_argument("--proof", action="append", help="base64 proof item (repeat, or comma list)")
    p.set_defaults(func=_cmd_consistency)

    p = sub.add_parser("checkpoint", parents=[keyed], help="verify a checkpoint's signature")
    p.add_argument("note", help="checkpoint note file")
    p.set_defaults(func=_cmd_checkpoint)

    p = sub.add_parser(
        "log", parents=[common, keyed], help="verify downloaded entries against a checkpoint"
    )
    p.add_argument("entries", help='JSON lines file of {"index": n, "leaf": base64}')
    p.add_argument("note", help="checkpoint note file")
    p.set_defaults(func=_cmd_log)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        message = args.func(args)
    except (VerifyError, ProofError, NoteError) as exc:
        print(f"NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
