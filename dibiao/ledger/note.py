"""C2SP checkpoints (https://c2sp.org/tlog-checkpoint) in signed notes (https://c2sp.org/signed-note).

A checkpoint body is

    <origin>\\n
    <tree size, decimal, no leading zeros>\\n
    <root hash, standard base64>\\n
    [<extension line>\\n ...]

and the signed note appends a blank line and one or more signature lines

    — <key name> <base64(4-byte key hash ‖ signature)>\\n

(an em dash U+2014 and a space). For Ed25519 the key hash is the first 4 bytes of
SHA-256(key name ‖ "\\n" ‖ 0x01 ‖ 32-byte public key) and the verifier key is written
"<name>+<8 hex digits of key hash>+<base64(0x01 ‖ public key)>", as golang.org/x/mod/sumdb/note
does; so Go's note.Open, the tlog tooling and this module agree byte for byte.

Parsing is strict: anything not exactly in this form is refused rather than guessed at, since a
lenient parser is where two readers of one note start to disagree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ALG_ED25519: Final = 0x01
SIGNATURE_PREFIX: Final = "\u2014 "  # "— "
MAX_SIGNATURES: Final = 100  # as Go's note.Open: bounds the work an attacker can cause
MAX_TREE_SIZE: Final = 2**64 - 1  # sizes are uint64 everywhere else (Go, Trillian)
ROOT_HASH_SIZE: Final = 32  # SHA-256 and SM3 both give 32 bytes
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)")
_HEX8 = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note or checkpoint is malformed, or its signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = field(default=())

    def body(self) -> str:
        return checkpoint_body(self.origin, self.size, self.root, extensions=self.extensions)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Standard base64 with padding, canonical only (re-encoding must give the same text)."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise NoteError(f"{what} is not valid base64") from exc
    if _b64encode(data) != text:
        raise NoteError(f"{what} is not canonical base64")
    return data


def _check_text(text: str, what: str) -> None:
    # signed-note: UTF-8 text with no ASCII control characters but newline, ending in newline.
    # (A str is always valid Unicode; lone surrogates cannot be encoded, so reject them too.)
    if not text.endswith("\n"):
        raise NoteError(f"{what} must end with a newline")
    for ch in text:
        if ch != "\n" and (ord(ch) < 0x20 or 0xD800 <= ord(ch) <= 0xDFFF):
            raise NoteError(f"{what} contains a control character (U+{ord(ch):04X})")


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"invalid key name {name!r}: must be non-empty, no spaces, no '+'")
    _check_text(name + "\n", "key name")


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """First 4 bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key)."""
    data = name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + _raw_public_key(public_key)
    return hashlib.sha256(data).digest()[:4]


def verifier_key_string(name: str, public_key: Ed25519PublicKey) -> str:
    """The published verifier key: "<name>+<hex key hash>+<base64(0x01 ‖ public key)>"."""
    _check_key_name(name)
    key_data = bytes([ALG_ED25519]) + _raw_public_key(public_key)
    return f"{name}+{key_hash(name, public_key).hex()}+{_b64encode(key_data)}"


@dataclass(frozen=True)
class Verifier:
    name: str
    key_hash: bytes
    public_key: Ed25519PublicKey


def parse_verifier_key(verifier_key: str) -> Verifier:
    """Parse and check a verifier key string (the hash must match the name and key)."""
    # Split at the first two '+' only, as Go's note.NewVerifier: the name cannot contain '+',
    # but the base64 key data may.
    parts = verifier_key.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must be <name>+<hash>+<key>")
    name, hash_hex, key_b64 = parts
    _check_key_name(name)
    if not _HEX8.fullmatch(hash_hex):
        raise NoteError("verifier key hash must be 8 lower-case hex digits")
    key_data = _b64decode(key_b64, "verifier key")
    if len(key_data) != 33 or key_data[0] != ALG_ED25519:
        raise NoteError("verifier key is not an Ed25519 key (algorithm byte 0x01, 32 bytes)")
    public_key = Ed25519PublicKey.from_public_bytes(key_data[1:])
    expected = key_hash(name, public_key)
    if expected.hex() != hash_hex:
        raise NoteError("verifier key hash does not match its name and key")
    return Verifier(name=name, key_hash=expected, public_key=public_key)


def checkpoint_body(
    origin: str, size: int, root: bytes, *, extensions: tuple[str, ...] | list[str] = ()
) -> str:
    """The checkpoint text that gets signed (ends with a newline)."""
    if not origin or "\n" in origin:
        raise NoteError("origin must be a non-empty single line")
    if not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"tree size {size} is out of range")
    if len(root) != ROOT_HASH_SIZE:
        raise NoteError(f"root hash must be {ROOT_HASH_SIZE} bytes")
    for line in extensions:
        if not line or "\n" in line:
            raise NoteError("extension lines must be non-empty single lines")
    body = "".join(f"{line}\n" for line in (origin, str(size), _b64encode(root), *extensions))
    _check_text(body, "checkpoint")
    return body


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint body (the note text, without signatures)."""
    _check_text(body, "checkpoint")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs origin, tree size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin is empty")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        raise NoteError("checkpoint tree size must be a decimal number without leading zeros")
    root = _b64decode(root_text, "checkpoint root hash")
    if len(root) != ROOT_HASH_SIZE:
        raise NoteError(f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes")
    if any(not line for line in extensions):
        raise NoteError("checkpoint has an empty extension line")
    return Checkpoint(origin=origin, size=int(size_text), root=root, extensions=tuple(extensions))


def sign_note(body: str, *, name: str, private_key: Ed25519PrivateKey) -> str:
    """Return the signed note: body, a blank line, and one Ed25519 signature line."""
    _check_text(body, "note text")
    _check_key_name(name)
    signature = private_key.sign(body.encode("utf-8"))
    hash_ = key_hash(name, private_key.public_key())
    return f"{body}\n{SIGNATURE_PREFIX}{name} {_b64encode(hash_ + signature)}\n"


def open_note(note: str, *, verifier_key: str) -> str:
    """Verify a signed note and return its text (body).

    Signatures by other keys (a witness's cosignature, say) are allowed and ignored, as the
    signed-note spec asks; a signature claiming to be by our key that does not verify is an
    error; at least one verified signature by our key is required.
    """
    verifier = parse_verifier_key(verifier_key)
    _check_text(note, "note")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    if not signatures:
        raise NoteError("note has no signatures")
    lines = signatures[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    verified = False
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("signature line does not start with '— '")
        name, sep, sig_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep:
            raise NoteError("signature line must be '— <name> <signature>'")
        _check_key_name(name)
        sig = _b64decode(sig_b64, "signature")
        if len(sig) < 5:
            raise NoteError("signature is too short")
        if name != verifier.name or sig[:4] != verifier.key_hash:
            continue  # someone else's signature
        try:
            verifier.public_key.verify(sig[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise NoteError(f"signature by {name} does not verify") from None
        verified = True
    if not verified:
        raise NoteError(f"note has no signature by {verifier.name}")
    return text


def verify_note(note: str, *, verifier_key: str) -> Checkpoint:
    """Verify a signed checkpoint note and return the parsed checkpoint."""
    return parse_checkpoint(open_note(note, verifier_key=verifier_key))
