"""The canonical bytes of a ledger leaf: deterministic JSON (no Django here).

Keys sorted, UTF-8 (not \\u escapes), no insignificant whitespace, decimals as strings, dates and
times as ISO 8601 (times in UTC with microseconds and a trailing Z). Floats are refused: their
text is not stable across platforms and money must never be one. The same document always gives
the same bytes, so `ledger_verify` can recompute a leaf from the stored record and compare.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["CanonicalError", "canonical_bytes", "normalize", "parse"]


class CanonicalError(ValueError):
    """A value that has no canonical form (a float, a naive datetime, a non-string key)."""


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CanonicalError(f"naive datetime {value!r} has no canonical form")
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def normalize(value: Any) -> Any:
    """The JSON value of `value` (str, int, bool, None, list, dict of those)."""
    if value is None or (isinstance(value, bool | int) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, enum.Enum):
        return normalize(value.value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CanonicalError(f"decimal {value} has no canonical form")
        return format(value, "f")
    if isinstance(value, float):
        raise CanonicalError("floats are not allowed in ledger leaves; use Decimal")
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"object key {key!r} is not a string")
            out[key] = normalize(item)
        return out
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    raise CanonicalError(f"{type(value).__name__} has no canonical form")


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    return json.dumps(
        normalize(document),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    ).encode("utf-8")


def parse(data: bytes) -> dict[str, Any]:
    """The document of canonical bytes; CanonicalError if they are not canonical."""
    try:
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CanonicalError("a leaf is a JSON object")
    if any(isinstance(v, Decimal) for v in _walk(document)):
        raise CanonicalError("a leaf holds a JSON number with a fraction")
    if canonical_bytes(document) != data:
        raise CanonicalError("bytes are not in canonical form")
    return document


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    else:
        yield value
