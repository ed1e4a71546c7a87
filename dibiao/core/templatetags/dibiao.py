from __future__ import annotations

from typing import Any

from django import template

from dibiao.core.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter(name="mask_phone")
def mask_phone_filter(value: str | None) -> str:
    return mask_phone(value) if value else ""


@register.filter(name="mask_id")
def mask_id_filter(value: str | None) -> str:
    return mask_id_number(value) if value else ""


@register.filter
def audit_changes(changes: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """An audit row's changes as (field, before, after) rows for display; a created object has
    only "after", a deleted one only "before"."""
    if not changes:
        return []
    before = changes.get("before") or {}
    after = changes.get("after") or {}
    return [
        (name, before.get(name, ""), after.get(name, ""))
        for name in sorted(before.keys() | after.keys())
    ]
