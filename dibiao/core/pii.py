"""Personal data at rest (ID and phone numbers, householders' names).

A personal value is kept three ways, each for one use:

- `sealed`: AES-256-GCM ciphertext, opened only for an audited full view;
- `digest`: a keyed HMAC-SHA256 of the normalised value, indexed, so that an exact search
  ("who has phone 13812345678?") finds the row without the database ever holding the value;
- `masked`: the display form (138****5678) that every list, export and API response shows.

The key comes from `DIBIAO_PII_KEY` (production) or is generated once into `var/` (development);
two sub-keys are derived from it with HKDF, one to encrypt and one to digest. A sealed value
carries its key id, so that the key can later be rotated by re-sealing row by row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from dibiao.core.masking import mask_id_number, mask_middle, mask_phone

KEY_ID = "k1"


@dataclass(frozen=True)
class Sealed:
    sealed: str
    digest: str
    masked: str


EMPTY = Sealed("", "", "")


@cache
def _keys(material: str) -> tuple[bytes, bytes]:
    def derive(info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            material.encode()
        )

    return derive(b"dibiao pii encryption"), derive(b"dibiao pii digest")


def _key_material() -> str:
    material: str = settings.DIBIAO_PII_KEY
    return material


def digest(value: str) -> str:
    """The search digest of a normalised value (hex); empty for an empty value."""
    if not value:
        return ""
    _, digest_key = _keys(_key_material())
    return hmac.new(digest_key, value.encode(), hashlib.sha256).hexdigest()


def seal(value: str, *, masked: str) -> Sealed:
    if not value:
        return EMPTY
    encryption_key, _ = _keys(_key_material())
    nonce = os.urandom(12)
    ciphertext = AESGCM(encryption_key).encrypt(nonce, value.encode(), KEY_ID.encode())
    token = base64.urlsafe_b64encode(nonce + ciphertext).decode()
    return Sealed(f"{KEY_ID}.{token}", digest(value), masked)


def unseal(sealed: str) -> str:
    if not sealed:
        return ""
    key_id, _, token = sealed.partition(".")
    if key_id != KEY_ID:
        raise ValueError(f"unknown personal-data key id {key_id!r}")
    encryption_key, _ = _keys(_key_material())
    raw = base64.urlsafe_b64decode(token)
    return AESGCM(encryption_key).decrypt(raw[:12], raw[12:], key_id.encode()).decode()


def normalise_phone(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch == "+")


def seal_phone(value: str) -> Sealed:
    phone = normalise_phone(value)
    return seal(phone, masked=mask_phone(phone)) if phone else EMPTY


def seal_id_number(value: str) -> Sealed:
    number = "".join(value.split()).upper()
    return seal(number, masked=mask_id_number(number)) if number else EMPTY


def mask_person_name(name: str) -> str:
    """张三 -> 张*, 欧阳小明 -> 欧**明: the family name and, for long names, the last character."""
    name = name.strip()
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return mask_middle(name, keep_start=1, keep_end=1)


def seal_person_name(value: str) -> Sealed:
    name = value.strip()
    return seal(name, masked=mask_person_name(name)) if name else EMPTY
