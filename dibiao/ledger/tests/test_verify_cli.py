"""The offline verifier, run as outsiders would: `python -m dibiao.ledger.verify ...`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dibiao.ledger.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from dibiao.ledger.note import checkpoint_body, sign_note, verifier_key_string

REPO = Path(__file__).resolve().parents[3]
ORIGIN = "dibiao.example.cn/ledger"
LEAVES = [json.dumps({"type": "test", "n": i}).encode() for i in range(13)]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    # A clean environment without DJANGO_SETTINGS_MODULE: the verifier must not need it.
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-m", "dibiao.ledger.verify", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )


def tree(algorithm: str = "sha256") -> list[bytes]:
    return [leaf_hash(d, algorithm=algorithm) for d in LEAVES]


def test_import_does_not_load_django():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, dibiao.ledger.verify; assert 'django' not in sys.modules, 'django loaded'",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("algorithm", ["sha256", "sm3"])
def test_inclusion(tmp_path: Path, algorithm: str):
    hashes = tree(algorithm)
    root = root_from_leaf_hashes(hashes, algorithm=algorithm)
    proof = inclusion_proof(hashes, 5, 13, algorithm=algorithm)
    common = ["--algorithm", algorithm, "--index", "5", "--size", "13", "--root", b64(root)]
    proof_args = [arg for p in proof for arg in ("--proof", b64(p))]
    ok = run("inclusion", *common, "--leaf-hash", b64(hashes[5]), *proof_args)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK")
    leaf_file = tmp_path / "leaf.bin"
    leaf_file.write_bytes(LEAVES[5])
    ok = run(
        "inclusion", *common, "--leaf-file", str(leaf_file), "--proof", ",".join(map(b64, proof))
    )
    assert ok.returncode == 0, ok.stderr

    leaf_file.write_bytes(LEAVES[5] + b" ")
    bad = run("inclusion", *common, "--leaf-file", str(leaf_file), *proof_args)
    assert bad.returncode == 1
    assert "NOT VERIFIED" in bad.stderr
    bad = run("inclusion", *common, "--leaf-hash", b64(hashes[6]), *proof_args)
    assert bad.returncode == 1
    other = "sm3" if algorithm == "sha256" else "sha256"
    bad = run(
        "inclusion", *common[2:], "--algorithm", other, "--leaf-hash", b64(hashes[5]), *proof_args
    )
    assert bad.returncode == 1
    bad = run("inclusion", *common, "--leaf-hash", "not base64!", *proof_args)
    assert bad.returncode == 1


def test_consistency():
    hashes = tree()
    roots = {n: b64(root_from_leaf_hashes(hashes[:n])) for n in (6, 13)}
    proof = consistency_proof(hashes, 6, 13)
    args = ["--first", "6", "--second", "13", "--first-root", roots[6]]
    proof_args = [arg for p in proof for arg in ("--proof", b64(p))]
    ok = run("consistency", *args, "--second-root", roots[13], *proof_args)
    assert ok.returncode == 0, ok.stderr
    bad = run("consistency", *args, "--second-root", roots[6], *proof_args)
    assert bad.returncode == 1
    assert "NOT VERIFIED" in bad.stderr
    bad = run("consistency", *args, "--second-root", roots[13], *proof_args[:-2])
    assert bad.returncode == 1


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, str, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    root = root_from_leaf_hashes(tree())
    note = tmp_path / "checkpoint.txt"
    note.write_text(
        sign_note(checkpoint_body(ORIGIN, 13, root), name=ORIGIN, private_key=key), encoding="utf-8"
    )
    return note, verifier_key_string(ORIGIN, key.public_key()), key


def test_checkpoint(tmp_path: Path, signed):
    note, vkey, _ = signed
    ok = run("checkpoint", str(note), "--key", vkey)
    assert ok.returncode == 0, ok.stderr
    assert "size 13" in ok.stdout
    key_file = tmp_path / "key.pub"
    key_file.write_text(vkey + "\n")
    assert run("checkpoint", str(note), "--key-file", str(key_file)).returncode == 0

    other = verifier_key_string(ORIGIN, Ed25519PrivateKey.generate().public_key())
    bad = run("checkpoint", str(note), "--key", other)
    assert bad.returncode == 1
    assert "NOT VERIFIED" in bad.stderr
    note.write_text(note.read_text(encoding="utf-8").replace("\n13\n", "\n14\n"), encoding="utf-8")
    assert run("checkpoint", str(note), "--key", vkey).returncode == 1
    assert run("checkpoint", str(tmp_path / "missing"), "--key", vkey).returncode == 1


def test_inclusion_against_signed_checkpoint(signed):
    note, vkey, _ = signed
    hashes = tree()
    proof = ",".join(map(b64, inclusion_proof(hashes, 7, 13)))
    args = ["inclusion", "--index", "7", "--checkpoint", str(note), "--proof", proof]
    ok = run(*args, "--leaf-hash", b64(hashes[7]), "--key", vkey)
    assert ok.returncode == 0, ok.stderr
    assert "size 13" in ok.stdout
    assert run(*args, "--leaf-hash", b64(hashes[7]), "--key", vkey, "--size", "13").returncode == 0
    bad = run(*args, "--leaf-hash", b64(hashes[7]), "--key", vkey, "--size", "12")
    assert bad.returncode == 1
    assert "differs" in bad.stderr
    assert run(*args, "--leaf-hash", b64(hashes[8]), "--key", vkey).returncode == 1
    other = verifier_key_string(ORIGIN, Ed25519PrivateKey.generate().public_key())
    assert run(*args, "--leaf-hash", b64(hashes[7]), "--key", other).returncode == 1
    assert run(*args, "--leaf-hash", b64(hashes[7])).returncode == 1  # no key given
    # --root without --size is a usage problem reported plainly
    bad = run("inclusion", "--index", "7", "--root", b64(hashes[0]), "--leaf-hash", b64(hashes[7]))
    assert bad.returncode == 1
    assert "--size" in bad.stderr


def write_entries(path: Path, leaves: list[bytes], indices: list[int] | None = None) -> None:
    indices = list(range(len(leaves))) if indices is None else indices
    path.write_text(
        "".join(
            json.dumps({"index": i, "leaf": b64(d)}) + "\n"
            for i, d in zip(indices, leaves, strict=True)
        ),
        encoding="utf-8",
    )


def test_log(tmp_path: Path, signed):
    note, vkey, _ = signed
    entries = tmp_path / "entries.jsonl"
    write_entries(entries, LEAVES)
    ok = run("log", str(entries), str(note), "--key", vkey)
    assert ok.returncode == 0, ok.stderr
    assert "13 entries" in ok.stdout

    # entries appended after the checkpoint are not covered, and do not fail it
    write_entries(entries, [*LEAVES, b"later"])
    assert run("log", str(entries), str(note), "--key", vkey).returncode == 0

    cases = {
        "changed": [*LEAVES[:4], b"tampered", *LEAVES[5:]],
        "missing": LEAVES[:12],
    }
    for name, leaves in cases.items():
        write_entries(entries, leaves)
        bad = run("log", str(entries), str(note), "--key", vkey)
        assert bad.returncode == 1, name
        assert "NOT VERIFIED" in bad.stderr
    # a gap or reordering in the indices
    write_entries(entries, LEAVES, [0, 1, 2, 3, 5, 4, 6, 7, 8, 9, 10, 11, 12])
    bad = run("log", str(entries), str(note), "--key", vkey)
    assert bad.returncode == 1
    assert "expected index 4" in bad.stderr
    entries.write_text("not json\n", encoding="utf-8")
    assert run("log", str(entries), str(note), "--key", vkey).returncode == 1
    # the right entries under the wrong algorithm
    write_entries(entries, LEAVES)
    assert run("log", str(entries), str(note), "--key", vkey, "--algorithm", "sm3").returncode == 1


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("inclusion", "--index", "1").returncode == 2
