"""Label codes (一物一码) without a row per label.

A code is 20 Crockford base32 characters, read aloud in groups of four:

    K SSSSSSSS MMMMMMMMMM C        e.g.  1000-0001-2X7Q-M4ZC-9RTH
    │ │        │          └ check character: the 95-bit value mod 37 (Crockford's check symbols)
    │ │        └ MAC: the first 50 bits of HMAC-SHA256(key[K], "dibiao-label" ‖ K ‖ serial)
    │ └ serial: 40 bits (1.1 × 10¹² labels per deployment)
    └ key id: 0-31, the key that made the MAC (keys rotate; old ones stay listed)

A guessed code is valid with probability 2⁻⁵⁰ < 10⁻¹⁵. Checking a code: parse, recompute the MAC
in constant time, then one indexed range lookup (`CodeSegment`, see `resolve`). The keys come
from settings (`DIBIAO_LABEL_KEYS`), never from the database or the repository.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_SYMBOLS = ALPHABET + "*~$=U"
# Crockford decoding is forgiving: I and L read as 1, O as 0; lower case is upper case.
_DECODE = {ch: i for i, ch in enumerate(ALPHABET)} | {"I": 1, "L": 1, "O": 0}
_CHECK_DECODE = {ch: i for i, ch in enumerate(CHECK_SYMBOLS)} | {"I": 1, "L": 1, "O": 0}

KEY_BITS, SERIAL_BITS, MAC_BITS = 5, 40, 50
KEY_CHARS, SERIAL_CHARS, MAC_CHARS = 1, 8, 10
PAYLOAD_CHARS = KEY_CHARS + SERIAL_CHARS + MAC_CHARS  # 19
CODE_CHARS = PAYLOAD_CHARS + 1  # 20
MAX_SERIAL = (1 << SERIAL_BITS) - 1
MAX_KEY_ID = (1 << KEY_BITS) - 1
_MAC_MASK = (1 << MAC_BITS) - 1
_DOMAIN = b"dibiao-label"


@dataclass(frozen=True)
class ParsedCode:
    key_id: int
    serial: int
    mac: int


class CodeFormatError(ValueError):
    """Not a code at all: wrong length, a character outside the alphabet, or a wrong check
    character (a typo). Says nothing about authenticity."""


def _keys() -> dict[int, bytes]:
    keys: dict[int, bytes] = settings.DIBIAO_LABEL_KEYS
    return keys


def current_key_id() -> int:
    key_id: int = settings.DIBIAO_LABEL_KEY_ID
    return key_id


@cache
def _hmac_base(key: bytes, key_id: int) -> hmac.HMAC:
    # The keyed inner/outer state is computed once per key; each code copies it (the HMAC of
    # a million codes then costs one copy and one short update each).
    base = hmac.new(key, _DOMAIN, hashlib.sha256)
    base.update(bytes([key_id]))
    return base


def mac_for(key_id: int, serial: int) -> int:
    """The 50-bit MAC of a serial under the key `key_id` (KeyError: no such key)."""
    mac = _hmac_base(_keys()[key_id], key_id).copy()
    mac.update(serial.to_bytes(5, "big"))
    return int.from_bytes(mac.digest()[:7], "big") >> (56 - MAC_BITS)


# base64's C encoder does the 5-bit split; its RFC 4648 alphabet is then mapped to Crockford's.
_RFC4648_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def _payload_base32(value: int) -> str:
    """The 95-bit payload as 19 characters: 120 bits (15 bytes) encode to 24 characters, of
    which the first 5 cover the 25 leading zero bits."""
    encoded = base64.b32encode(value.to_bytes(15, "big"))[5:]
    return encoded.translate(_RFC4648_TO_CROCKFORD).decode()


def encode(key_id: int, serial: int) -> str:
    """The code of `serial` under key `key_id`, without separators (what the QR URL carries)."""
    if not 0 <= key_id <= MAX_KEY_ID or not 0 < serial <= MAX_SERIAL:
        raise ValueError("key id or serial out of range")
    mac = mac_for(key_id, serial)
    value = (((key_id << SERIAL_BITS) | serial) << MAC_BITS) | mac
    return _payload_base32(value) + CHECK_SYMBOLS[value % 37]


def group(code: str) -> str:
    """For reading aloud and for print: 1000-0001-2X7Q-M4ZC-9RTH."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(text: str) -> str:
    """Upper case without separators or blanks: what a person may type from a label."""
    return "".join(ch for ch in text.upper() if ch not in "- \t")


def parse(text: str) -> ParsedCode:
    code = normalise(text)
    if len(code) != CODE_CHARS:
        raise CodeFormatError(f"标签码应为 {CODE_CHARS} 位")
    value = 0
    for ch in code[:PAYLOAD_CHARS]:
        digit = _DECODE.get(ch)
        if digit is None:
            raise CodeFormatError("标签码含有不允许的字符")
        value = (value << 5) | digit
    check = _CHECK_DECODE.get(code[PAYLOAD_CHARS])
    if check is None or check != value % 37:
        raise CodeFormatError("标签码校验位不正确，请核对是否抄错")
    mac = value & _MAC_MASK
    value >>= MAC_BITS
    return ParsedCode(key_id=value >> SERIAL_BITS, serial=value & MAX_SERIAL, mac=mac)


def verify(parsed: ParsedCode) -> bool:
    """The MAC is the one the key makes for this serial (constant-time comparison). An
    unknown key id is simply not verified."""
    if parsed.key_id not in _keys() or parsed.serial == 0:
        return False
    expected = mac_for(parsed.key_id, parsed.serial)
    return hmac.compare_digest(expected.to_bytes(7, "big"), parsed.mac.to_bytes(7, "big"))


def codes_for_range(key_id: int, first: int, last: int) -> Iterator[tuple[int, str]]:
    """(serial, code) for each serial of a range, generated on the fly (bounded memory)."""
    key = _keys()[key_id]
    base = _hmac_base(key, key_id)
    prefix = key_id << SERIAL_BITS
    for serial in range(first, last + 1):
        mac = base.copy()
        mac.update(serial.to_bytes(5, "big"))
        tag = int.from_bytes(mac.digest()[:7], "big") >> (56 - MAC_BITS)
        value = ((prefix | serial) << MAC_BITS) | tag
        yield serial, _payload_base32(value) + CHECK_SYMBOLS[value % 37]


def scan_url(code: str, *, origin: str = "") -> str:
    """The URL a label's QR code carries: the public scan page of the code."""
    base = origin or settings.DIBIAO_PUBLIC_URL
    return f"{base}/t/{code}"
