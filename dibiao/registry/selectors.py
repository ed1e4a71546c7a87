"""Reads of the GI product registry. Staff reads go through `restrict`; public reads show only
registered products and only the public fields."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.registry.choices import ProductStatus, RegulationStatus
from dibiao.registry.models import GIProduct, TechnicalRegulation


def _with_relations(qs: QuerySet[GIProduct]) -> QuerySet[GIProduct]:
    return qs.select_related("certificate_holder").prefetch_related(
        Prefetch("divisions", queryset=Division.objects.select_related("parent").order_by("code"))
    )


def product_list_for_user(
    *, user: Any, q: str = "", category: str = "", status: str = "", division: str = ""
) -> QuerySet[GIProduct]:
    qs = GIProduct.objects.restrict(user)
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(certificate_number__icontains=q)
            | Q(certificate_holder__name__icontains=q)
        )
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    if division:
        # A city code matches products in any of its counties as well as the city itself.
        qs = qs.filter(
            pk__in=GIProduct.objects.filter(
                Q(divisions__code=division) | Q(divisions__parent__code=division)
            ).values("pk")
        )
    return _with_relations(qs.order_by("name", "id"))


def product_get_for_user(*, user: Any, pk: int) -> GIProduct:
    product = _with_relations(GIProduct.objects.restrict(user)).filter(pk=pk).first()
    if product is None:
        raise NotFoundError("未找到该产品。")
    return product


def product_list_public(*, q: str = "", category: str = "") -> QuerySet[GIProduct]:
    qs = GIProduct.objects.filter(status=ProductStatus.REGISTERED)
    if q:
        qs = qs.filter(name__icontains=q)
    if category:
        qs = qs.filter(category=category)
    return _with_relations(qs.order_by("name", "id"))


def product_get_public(*, pk: int) -> GIProduct:
    product = (
        _with_relations(GIProduct.objects.filter(status=ProductStatus.REGISTERED))
        .prefetch_related("images")
        .filter(pk=pk)
        .first()
    )
    if product is None:
        raise NotFoundError("未找到该产品。")
    return product


def product_counts_for_user(*, user: Any) -> dict[str, int]:
    from django.db.models import Count

    return GIProduct.objects.restrict(user).aggregate(
        total=Count("pk"),
        registered=Count("pk", filter=Q(status=ProductStatus.REGISTERED)),
        with_certificate=Count("pk", filter=~Q(certificate_number="")),
        without_holder=Count("pk", filter=Q(certificate_holder__isnull=True)),
    )


# --- Production regulations (生产技术规程) ------------------------------------------------------


def regulation_list_for_product(*, user: Any, product: GIProduct) -> QuerySet[TechnicalRegulation]:
    """Every version of the product's regulation the user sees: the current one first, then
    the superseded ones, newest first."""
    return (
        TechnicalRegulation.objects.restrict(user)
        .filter(product=product)
        .select_related("uploaded_by", "supersedes")
        .order_by("status", "-effective_on", "-id")  # "current" sorts before "superseded"
    )


def regulation_get_for_user(*, user: Any, product_pk: int, pk: int) -> TechnicalRegulation:
    regulation = (
        TechnicalRegulation.objects.restrict(user).filter(product_id=product_pk, pk=pk).first()
    )
    if regulation is None:
        raise NotFoundError("未找到该生产技术规程。")
    return regulation


def regulation_current_public(*, product: GIProduct) -> TechnicalRegulation | None:
    """The current version shown on the public product page (registered products only)."""
    if product.status != ProductStatus.REGISTERED:
        return None
    return TechnicalRegulation.objects.filter(
        product=product, status=RegulationStatus.CURRENT
    ).first()
