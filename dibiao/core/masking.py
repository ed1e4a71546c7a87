"""Masking of personal data for screens and the audit log (e.g. 138****5678)."""

from __future__ import annotations

import re
from typing import Any

# Field names whose values never reach the audit log or a list page in clear.
SENSITIVE_FIELDS = frozenset(
    {
        "password",
        "phone",
        "mobile",
        "contact",
        "contact_phone",
        "id_number",
        "id_card",
        "token",
        "key",
    }
)
SECRET_FIELDS = frozenset({"password", "token", "key"})


def mask_middle(value: str, *, keep_start: int, keep_end: int) -> str:
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return f"{value[:keep_start]}{'*' * hidden}{value[len(value) - keep_end :]}"


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678; short numbers keep less."""
    digits = value.strip()
    if len(digits) >= 11:
        return mask_middle(digits, keep_start=3, keep_end=4)
    return mask_middle(digits, keep_start=2, keep_end=2)


def mask_id_number(value: str) -> str:
    """A GB 11643 ID number keeps its first 6 and last 4 characters."""
    return mask_middle(value.strip(), keep_start=6, keep_end=4)


def mask_field(name: str, value: Any) -> Any:
    if value in (None, ""):
        return value
    if name in SECRET_FIELDS:
        return "******"
    if name in {"id_number", "id_card"}:
        return mask_id_number(str(value))
    if name in SENSITIVE_FIELDS:
        return mask_phone(str(value))
    return value


# A mobile number or an ID number standing on its own inside free text (a search typed into a
# list and kept in an export's audit row, an error message quoting an input).
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def mask_numbers_in_text(text: str) -> str:
    """Every mobile and ID number inside `text` masked, the rest as it was."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)
