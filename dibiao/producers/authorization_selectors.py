"""Reads of label-use authorizations (标志授权使用): scoped lists for users, the public list of
authorized users of a product, and the validity questions the trace module asks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import role_places
from dibiao.core.errors import NotFoundError
from dibiao.producers.authorization_permissions import producer_organization_ids
from dibiao.producers.choices import AuthorizationStatus, ProducerStatus
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct
from dibiao.registry.selectors import product_get_public


def _valid_on(day: dt.date) -> Q:
    return Q(status=AuthorizationStatus.APPROVED, valid_from__lte=day, valid_until__gte=day)


def authorization_list_for_user(
    *,
    user: Any,
    product: int | None = None,
    year: int | None = None,
    status: str = "",
    valid_on: dt.date | None = None,
    q: str = "",
) -> QuerySet[LabelAuthorization]:
    """The authorizations in the user's scope: its county's (and below) for government users;
    for a producer, its own applications and those for the products it holds the certificate
    of. `valid_on` keeps those valid that day; `q` searches the entity's name and the number."""
    qs = LabelAuthorization.objects.restrict(user).select_related(
        "producer__division", "product", "applied_by"
    )
    if product is not None:
        qs = qs.filter(product_id=product)
    if year is not None:
        qs = qs.filter(year=year)
    if status:
        qs = qs.filter(status=status)
    if valid_on is not None:
        qs = qs.filter(_valid_on(valid_on))
    if q:
        qs = qs.filter(Q(producer__name__icontains=q) | Q(number__icontains=q))
    return qs.order_by("-year", "product__name", "producer__name", "id")


def authorization_get_for_user(*, user: Any, pk: int) -> LabelAuthorization:
    authorization = (
        authorization_list_for_user(user=user)
        .select_related(
            "product__certificate_holder",
            "producer__organization",
            "holder_reviewed_by",
            "county_reviewed_by",
        )
        .filter(pk=pk)
        .first()
    )
    if authorization is None:
        raise NotFoundError("未找到该标志使用授权。")
    return authorization


def authorization_years_for_user(*, user: Any) -> list[int]:
    """The years present in the user's scope, for the list page's filter."""
    years = LabelAuthorization.objects.restrict(user).values_list("year", flat=True).distinct()
    return sorted(set(years), reverse=True)


def authorization_products_for_user(*, user: Any) -> QuerySet[GIProduct]:
    """Products with authorizations in the user's scope, for the list page's filter."""
    ids = LabelAuthorization.objects.restrict(user).values("product_id")
    return GIProduct.objects.filter(pk__in=ids).order_by("name", "id")


# --- Applying --------------------------------------------------------------------------------


def applicant_choices_for_user(*, user: Any) -> QuerySet[Producer]:
    """The entities the user may apply for: its own (producer role in the entity's
    organization) and, for a county bureau, every entity of its county. Inactive ones are
    included, so that the service can say why it refuses them."""
    organizations = producer_organization_ids(user)
    counties = [division for role, division in role_places(user) if role == Role.COUNTY_ADMIN]
    return (
        Producer.objects.restrict(user)
        .filter(Q(organization__in=organizations) | Q(division__in=counties))
        .select_related("division")
        .order_by("division__code", "name", "id")
    )


def applicable_products(*, producers: QuerySet[Producer]) -> QuerySet[GIProduct]:
    """Registered products that at least one of `producers` produces."""
    return GIProduct.objects.filter(
        status=ProductStatus.REGISTERED, pk__in=producers.values("products")
    ).order_by("name", "id")


# --- Public ----------------------------------------------------------------------------------


def authorization_list_public(*, product: GIProduct) -> QuerySet[LabelAuthorization]:
    """The entities authorized to use the product's label today (公开: no personal data).
    A suspended or closed entity is left out, whatever its agreement says: it may not use the
    label (`producer_may_receive_codes`), so the public must not be told it may."""
    return (
        LabelAuthorization.objects.filter(product=product, producer__status=ProducerStatus.ACTIVE)
        .filter(_valid_on(timezone.localdate()))
        .select_related("producer__division__parent")
        .only(
            "id",
            "number",
            "year",
            "scope",
            "valid_from",
            "valid_until",
            "producer__name",
            "producer__division__name",
            "producer__division__parent__name",
        )
        .order_by("producer__division__code", "producer__name", "id")
    )


def public_product(*, pk: int) -> GIProduct:
    """A registered product, else 404 (the registry's public rule)."""
    return product_get_public(pk=pk)


# --- For the trace module (no user: the caller has already decided who asks) ---------------


def authorization_valid_for(
    *, producer: Producer, product: GIProduct, on: dt.date
) -> LabelAuthorization | None:
    """The agreement under which `producer` may use `product`'s label on `on`, if any:
    approved (not suspended, revoked, ...) and `on` within its dates."""
    return (
        LabelAuthorization.objects.filter(producer=producer, product=product)
        .filter(_valid_on(on))
        .order_by("-valid_from", "-id")
        .first()
    )


def producer_may_receive_codes(*, producer: Producer, product: GIProduct, on: dt.date) -> bool:
    """Label codes go only to an active entity holding a valid agreement for a registered
    product. The agreement's `authorized_quantity` is the ceiling the issuing side enforces."""
    return (
        producer.status == ProducerStatus.ACTIVE
        and product.status == ProductStatus.REGISTERED
        and authorization_valid_for(producer=producer, product=product, on=on) is not None
    )
