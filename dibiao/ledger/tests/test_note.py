"""C2SP signed notes and checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dibiao.ledger.note import (
    Checkpoint,
    NoteError,
    checkpoint_body,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
    verify_note,
)

ORIGIN = "dibiao.example.cn/ledger"
ROOT = bytes(range(32))

# golang.org/x/mod/sumdb/note's documented example: same key, text, key hash and signature.
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXg"
    "KvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def vkey(key: Ed25519PrivateKey) -> str:
    return verifier_key_string(ORIGIN, key.public_key())


@pytest.fixture(scope="module")
def signed(key: Ed25519PrivateKey) -> str:
    return sign_note(checkpoint_body(ORIGIN, 42, ROOT), name=ORIGIN, private_key=key)


def test_matches_go_reference_vector():
    key = Ed25519PrivateKey.from_private_bytes(GO_SEED)
    assert verifier_key_string("PeterNeumann", key.public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, name="PeterNeumann", private_key=key) == GO_NOTE
    assert open_note(GO_NOTE, verifier_key=GO_VKEY) == GO_TEXT
    with pytest.raises(NoteError):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), verifier_key=GO_VKEY)


def test_checkpoint_body_format():
    body = checkpoint_body(ORIGIN, 42, ROOT, extensions=["Timestamp: 1700000000"])
    assert body == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\nTimestamp: 1700000000\n"
    assert parse_checkpoint(body) == Checkpoint(ORIGIN, 42, ROOT, ("Timestamp: 1700000000",))
    assert parse_checkpoint(body).body() == body


def test_round_trip(signed: str, vkey: str):
    assert signed.startswith(f"{ORIGIN}\n42\n")
    assert "\n\n— " + ORIGIN + " " in signed
    checkpoint = verify_note(signed, verifier_key=vkey)
    assert checkpoint == Checkpoint(origin=ORIGIN, size=42, root=ROOT, extensions=())


def test_verifier_key_with_plus_in_base64():
    # The base64 key data often contains '+'; only the first two '+' separate the fields.
    for _ in range(64):
        public = Ed25519PrivateKey.generate().public_key()
        vkey = verifier_key_string(ORIGIN, public)
        if "+" in vkey.split("+", 2)[2]:
            assert parse_verifier_key(vkey).public_key == public
            return
    pytest.fail("no key with '+' in its base64 found")  # probability about 2^-64


def test_verifier_key_format(key: Ed25519PrivateKey, vkey: str):
    name, hash_hex, key_b64 = vkey.split("+", 2)
    assert name == ORIGIN
    assert len(hash_hex) == 8
    assert base64.b64decode(key_b64)[0] == 1
    assert parse_verifier_key(vkey).name == ORIGIN
    with pytest.raises(NoteError, match="hash does not match"):
        parse_verifier_key(f"other+{hash_hex}+{key_b64}")
    with pytest.raises(NoteError):
        parse_verifier_key(f"{name}+00000000+{key_b64}")
    with pytest.raises(NoteError):
        parse_verifier_key("no-plus-signs")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n42\n", "\n43\n"),  # size
        (base64.b64encode(ROOT).decode(), base64.b64encode(ROOT[::-1]).decode()),  # root
        ("dibiao.example.cn/ledger\n", "dibiao.example.cn/ledgeR\n"),  # origin (first line only)
    ],
)
def test_changed_checkpoint_fails(signed: str, vkey: str, old: str, new: str):
    tampered = signed.replace(old, new, 1)
    assert tampered != signed
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(tampered, verifier_key=vkey)


def test_wrong_key_fails(signed: str):
    other = Ed25519PrivateKey.generate()
    with pytest.raises(NoteError, match="no signature by"):
        verify_note(signed, verifier_key=verifier_key_string(ORIGIN, other.public_key()))
    with pytest.raises(NoteError, match="no signature by"):
        verify_note(signed, verifier_key=verifier_key_string("someone-else", other.public_key()))


def test_forged_signature_with_right_key_hash_fails(key: Ed25519PrivateKey, vkey: str):
    # A signature line naming our key (right name and key hash) made by another key is an error,
    # not something to skip.
    body = checkpoint_body(ORIGIN, 1, ROOT)
    forged = sign_note(body, name=ORIGIN, private_key=Ed25519PrivateKey.generate())
    hash_ = parse_verifier_key(vkey).key_hash
    prefix = f"— {ORIGIN} "
    line = forged.split("\n\n")[1].strip()
    sig = base64.b64decode(line[len(prefix) :])[4:]
    forged = f"{body}\n{prefix}{base64.b64encode(hash_ + sig).decode()}\n"
    with pytest.raises(NoteError, match="does not verify"):
        verify_note(forged, verifier_key=vkey)


def test_other_signatures_are_ignored(key: Ed25519PrivateKey, signed: str, vkey: str):
    witness = Ed25519PrivateKey.generate()
    body = signed.split("\n\n")[0] + "\n"
    witness_line = sign_note(body, name="witness.example", private_key=witness).split("\n\n")[1]
    cosigned = signed + witness_line
    assert verify_note(cosigned, verifier_key=vkey).size == 42
    with pytest.raises(NoteError, match="no signature by"):
        verify_note(body + "\n" + witness_line, verifier_key=vkey)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.replace("\n\n", "\n"),  # no blank line
        lambda s: s[:-1],  # no final newline
        lambda s: s.split("\n\n")[0] + "\n\n",  # no signatures
        lambda s: s.replace("— ", "- "),  # hyphen instead of em dash
        lambda s: s.replace("— ", "—"),  # no space after the dash
        lambda s: s.replace("=\n", "=\n\n"),  # blank line after signature
        lambda s: s.replace("\n42\n", "\n042\n"),  # leading zero (signature may still be off)
        lambda s: s.replace("\n42\n", "\n\t42\n"),  # control character
        lambda s: s.rstrip("\n") + "!\n",  # signature is not base64
        lambda s: s.replace("=\n", "\n"),  # signature is not padded base64
        lambda s: s + "— x AAAA\n",  # too-short signature
        lambda s: s + "— bad+name AAAAAAAA\n",  # invalid key name
        lambda s: s + "—  AAAAAAAA\n",  # empty key name
        lambda s: "\n" + s,  # empty origin
    ],
)
def test_malformed_notes_are_refused(signed: str, vkey: str, mangle):
    with pytest.raises(NoteError):
        verify_note(mangle(signed), verifier_key=vkey)


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n42\n",  # no root
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n",  # negative size
        f"{ORIGIN}\n042\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n+42\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n",  # beyond uint64
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short root
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",  # unpadded
        f"\n42\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\nx\n",  # empty extension line
    ],
)
def test_malformed_checkpoints_are_refused(key: Ed25519PrivateKey, vkey: str, body: str):
    with pytest.raises(NoteError):
        parse_checkpoint(body)
    # and a validly signed note around such a body is still refused
    if body.endswith("\n") and "\n\n" not in body:
        with pytest.raises(NoteError):
            verify_note(sign_note(body, name=ORIGIN, private_key=key), verifier_key=vkey)


def test_builder_refuses_bad_input(key: Ed25519PrivateKey):
    with pytest.raises(NoteError):
        checkpoint_body("", 1, ROOT)
    with pytest.raises(NoteError):
        checkpoint_body("a\nb", 1, ROOT)
    with pytest.raises(NoteError):
        checkpoint_body(ORIGIN, -1, ROOT)
    with pytest.raises(NoteError):
        checkpoint_body(ORIGIN, 1, ROOT[:5])
    with pytest.raises(NoteError):
        checkpoint_body(ORIGIN, 1, ROOT, extensions=[""])
    with pytest.raises(NoteError):
        sign_note("no newline", name=ORIGIN, private_key=key)
    with pytest.raises(NoteError):
        sign_note("text\n", name="has space", private_key=key)
