"""Ids read from a page's query string: the one parser every list filter uses."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # the largest value of a 64-bit id column


def parse_id(raw: str | None) -> int | None:
    """A positive id that could be a key, or None for anything else. `isdigit` alone also
    accepts digits that `int` refuses (superscripts such as "²"); past 64 bits the database
    overflows. A page ignores a filter it cannot read instead of failing."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
