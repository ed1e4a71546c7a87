from __future__ import annotations

from typing import Any

from django import template
from django.apps import apps

from dibiao.core.masking import mask_id_number, mask_phone
from dibiao.core.models import AuditLog

register = template.Library()


@register.filter(name="mask_phone")
def mask_phone_filter(value: str | None) -> str:
    return mask_phone(value) if value else ""


@register.filter(name="mask_id")
def mask_id_filter(value: str | None) -> str:
    return mask_id_number(value) if value else ""


def _field_labels(object_type: str) -> dict[str, str]:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    return {f.name: str(getattr(f, "verbose_name", f.name)) for f in model._meta.get_fields()}


@register.filter
def audit_changes(row: AuditLog) -> list[tuple[str, Any, Any]]:
    """An audit row's changes as (field label, before, after) for display; a created object
    has only "after", a deleted one only "before". Labels come from the model when it is known."""
    changes = row.changes or {}
    before = changes.get("before") or {}
    after = changes.get("after") or {}
    labels = _field_labels(row.object_type)
    return [
        (labels.get(name, name), before.get(name, ""), after.get(name, ""))
        for name in sorted(before.keys() | after.keys())
    ]
