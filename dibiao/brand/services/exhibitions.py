"""Exhibitions and promotion events (展会/推介活动): record and edit, with the products shown.

An event shows products of several counties (a provincial stand at a national expo). Each
county sees it for its own products and may correct it; a county names only products in its
scope, and the products of other counties on the event are kept whatever it sends (its form
cannot even show them), as a shared product keeps its other counties' divisions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand import selectors
from dibiao.brand.errors import BrandError
from dibiao.brand.models import Exhibition
from dibiao.brand.permissions import can_record_brand
from dibiao.brand.services.common import (
    apply,
    audit_create,
    check_date,
    full_clean,
    lock,
    require,
)
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.registry.models import GIProduct

EXHIBITION_FIELDS = (
    "kind",
    "name",
    "level",
    "start_on",
    "end_on",
    "place",
    "division",
    "deals_count",
    "deals_amount",
    "notes",
)
WRITE_DENIED = "只有省级、市级和县级管理员可以登记展会和推介活动。"
MAX_PRODUCTS = 200


def _products(
    actor: User | None, requested: Sequence[GIProduct], current: Sequence[GIProduct]
) -> list[GIProduct]:
    """The products the event will show once saved."""
    requested = list({p.pk: p for p in requested}.values())
    if actor is None:
        chosen = requested
    else:
        current_ids = {p.pk for p in current}
        allowed = set(selectors.product_choices(user=actor).values_list("pk", flat=True))
        outside = [p.name for p in requested if p.pk not in current_ids and p.pk not in allowed]
        if outside:
            raise BrandError(
                "product_out_of_scope", f"{'、'.join(outside)}不在您可以登记的产品范围内。"
            )
        visible = set(GIProduct.objects.restrict(actor).values_list("pk", flat=True))
        chosen = requested + [p for p in current if p.pk not in visible]
    if not chosen:
        raise BrandError("products_required", "请至少选择一个参展产品。")
    if len(chosen) > MAX_PRODUCTS:
        raise BrandError("too_many_products", f"参展产品最多 {MAX_PRODUCTS} 个。")
    return chosen


def _validate(exhibition: Exhibition) -> None:
    check_date(exhibition.start_on, "开始日期", code="start_on")
    amount = exhibition.deals_amount
    if amount is not None and not isinstance(amount, Decimal):
        exhibition.deals_amount = Decimal(str(amount))
    full_clean(exhibition, code="invalid_exhibition")


def _ids(products: Sequence[GIProduct]) -> list[int]:
    return sorted(p.pk for p in products)


@transaction.atomic
def exhibition_create(
    *, actor: User | None, data: Mapping[str, Any], products: Sequence[GIProduct]
) -> Exhibition:
    """Record an event; `data` holds EXHIBITION_FIELDS."""
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    exhibition = Exhibition(recorded_by=actor, created_at=timezone.now())
    apply(exhibition, data, EXHIBITION_FIELDS)
    chosen = _products(actor, products, [])
    _validate(exhibition)
    exhibition.updated_at = exhibition.created_at
    exhibition.save()
    exhibition.products.set(chosen)
    audit_create(actor, exhibition)
    return exhibition


@transaction.atomic
def exhibition_update(
    *,
    actor: User | None,
    exhibition: Exhibition,
    data: Mapping[str, Any],
    products: Sequence[GIProduct] | None = None,
) -> Exhibition:
    """Change the fields in `data`, and the products shown when `products` is given."""
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    exhibition = lock(actor, Exhibition, exhibition.pk, "未找到该展会/推介活动。")
    before = model_snapshot(exhibition)
    current = list(exhibition.products.all())
    chosen = current if products is None else _products(actor, products, current)
    apply(exhibition, data, EXHIBITION_FIELDS)
    _validate(exhibition)
    after = {**model_snapshot(exhibition), "products": _ids(chosen)}
    diff = snapshot_diff(before, after)
    if diff["after"]:
        exhibition.updated_at = timezone.now()
        exhibition.save()
        if _ids(chosen) != _ids(current):
            exhibition.products.set(chosen)
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=exhibition, changes=diff)
    return exhibition
