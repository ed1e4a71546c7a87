"""The one audit writer. Every service calls `audit_record` inside its own transaction, so
the row and the change it describes commit or roll back together."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models.fields.files import FieldFile

from dibiao.core.choices import AuditAction
from dibiao.core.masking import mask_field, mask_numbers_in_text
from dibiao.core.models import AuditLog
from dibiao.core.request_context import current_client_ip

Snapshot = dict[str, Any]


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):  # an empty one has no url: never ask for it
        return value.name or ""
    return value


def model_snapshot(obj: models.Model, *, exclude: frozenset[str] = frozenset()) -> Snapshot:
    """The object's field values as JSON-safe data, masked; many-to-many as sorted pks."""
    data: Snapshot = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        raw = getattr(obj, field.attname)
        data[field.name] = mask_field(field.name, _json_value(raw))
    if obj.pk is not None:
        for m2m in obj._meta.many_to_many:
            if m2m.name not in exclude:
                data[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return data


def snapshot_diff(before: Snapshot, after: Snapshot) -> dict[str, Snapshot]:
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return {
        "before": {k: before.get(k) for k in changed},
        "after": {k: after.get(k) for k in changed},
    }


def _masked_text(value: Any) -> Any:
    """`value` with every mobile and ID number inside its strings masked (dicts and lists too):
    masking by field name catches `phone`, not a buyer's number typed into a free-text field
    such as a trace event's destination or a void reason."""
    if isinstance(value, str):
        return mask_numbers_in_text(value)
    if isinstance(value, dict):
        return {key: _masked_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_text(item) for item in value]
    return value


def audit_record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: AuditAction,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    detail: str = "",
    username: str = "",
) -> AuditLog:
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    return AuditLog.objects.create(
        user_id=user.pk if user else None,
        username=username or (user.get_username() if user else ""),
        role=getattr(user, "audit_role", "") if user else "",
        ip=current_client_ip(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=_masked_text(changes or {}),
        # Free text may quote what a user typed (an export's search, a refused value): no
        # phone or ID number is kept in clear, whoever wrote the detail.
        detail=mask_numbers_in_text(detail)[:500],
    )
