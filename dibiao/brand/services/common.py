"""What the brand services share: role and scope checks, applying fields, validation messages,
row locks and the audit of an update."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand import selectors
from dibiao.brand.errors import BrandError
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.registry.models import GIProduct

M = TypeVar("M", bound=models.Model)
# Publicity before the GI programs is history, not a record to count: an earlier date is a
# typing error such as 0021 for 2021.
EARLIEST_YEAR = 2000


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def check_product(actor: User | None, product: GIProduct | None) -> None:
    """A record is filed for a registered product in the actor's scope (any product for a
    command without an actor)."""
    if product is None:
        raise BrandError("product_required", "请选择产品。")
    if actor is None:
        return
    if not selectors.product_choices(user=actor).filter(pk=product.pk).exists():
        raise BrandError("product_out_of_scope", f"“{product.name}”不在您可以登记的产品范围内。")


def apply(obj: models.Model, data: Mapping[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            setattr(obj, name, value.strip() if isinstance(value, str) else value)


def check_date(value: Any, label: str, *, code: str) -> None:
    """A date of something that has happened: not after today, not before EARLIEST_YEAR."""
    if not isinstance(value, dt.date):
        raise BrandError(code, f"请填写{label}。")
    if value > timezone.localdate():
        raise BrandError(f"{code}_in_future", f"{label}不能晚于今天。")
    if value.year < EARLIEST_YEAR:
        raise BrandError(f"{code}_too_early", f"{label}不能早于 {EARLIEST_YEAR} 年。")


def _message(model: type[models.Model], exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    parts: list[str] = []
    for name, errors in exc.message_dict.items():
        label = ""
        if name != "__all__":
            field = model._meta.get_field(name)
            label = str(getattr(field, "verbose_name", name))
        parts.extend(f"{label}：{e}" if label else e for e in errors)
    return "；".join(parts)


def full_clean(obj: models.Model, *, code: str, exclude: Iterable[str] = ()) -> None:
    """The model's field rules and constraints, as one coded error with labelled messages."""
    try:
        obj.full_clean(exclude=["recorded_by", "created_at", "updated_at", *exclude])
    except ValidationError as exc:
        raise BrandError(code, _message(type(obj), exc)) from exc


def lock(actor: User | None, model: type[M], pk: int, message: str) -> M:
    """The row, locked, if it is in the actor's scope (404 otherwise)."""
    manager: Any = model._default_manager
    rows = manager.select_for_update(of=("self",))
    if actor is not None:
        rows = rows.restrict(actor)
    found: M | None = rows.filter(pk=pk).first()
    if found is None:
        raise NotFoundError(message)
    return found


def save_update(
    actor: User | None, obj: models.Model, before: dict[str, Any], *, detail: str = ""
) -> None:
    """Save and audit an update, if anything changed."""
    diff = snapshot_diff(before, model_snapshot(obj))
    if not diff["after"]:
        return
    if hasattr(obj, "updated_at"):
        obj.updated_at = timezone.now()  # after the diff: a save alone is no change
    obj.save()
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=obj, changes=diff, detail=detail)


def audit_create(actor: User | None, obj: models.Model, *, detail: str = "") -> None:
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=obj,
        changes={"after": model_snapshot(obj)},
        detail=detail,
    )
