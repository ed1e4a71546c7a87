"""The checkpoint signing key (Ed25519) and the verifier key string outsiders use."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from dibiao.ledger.note import verifier_key_string


def default_origin() -> str:
    """The origin line a new log gets: DIBIAO_LEDGER_ORIGIN, else the public host + /ledger."""
    if settings.DIBIAO_LEDGER_ORIGIN:
        return str(settings.DIBIAO_LEDGER_ORIGIN)
    host = urlsplit(settings.DIBIAO_PUBLIC_URL).hostname if settings.DIBIAO_PUBLIC_URL else None
    return f"{host or 'dibiao.local'}/ledger"


def private_key() -> Ed25519PrivateKey:
    try:
        seed = base64.b64decode(settings.DIBIAO_LEDGER_KEY, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured("DIBIAO_LEDGER_KEY is not base64.") from None
    if len(seed) != 32:
        raise ImproperlyConfigured("DIBIAO_LEDGER_KEY must be the base64 of a 32-byte seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def verifier_key(origin: str) -> str:
    """`<origin>+<key hash>+<base64 key>`, the form `verify --key` and Go's note package read."""
    return verifier_key_string(origin, private_key().public_key())
