"""Reads of counterfeit alerts and of the authorizations to reconcile, always scoped to the
user (`restrict`): another county's alert or authorization is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from dibiao.core.errors import NotFoundError
from dibiao.producers.models import LabelAuthorization
from dibiao.registry.models import GIProduct
from dibiao.trace import codes
from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.models import CounterfeitAlert


def alert_list_for_user(
    *,
    user: Any,
    kind: str = "",
    status: str = "",
    product: int | None = None,
    division: int | None = None,
) -> QuerySet[CounterfeitAlert]:
    rows = CounterfeitAlert.objects.restrict(user).select_related(
        "division", "producer", "issuance__product", "closed_by"
    )
    if kind in AlertKind.values:
        rows = rows.filter(kind=kind)
    if status in AlertStatus.values:
        rows = rows.filter(status=status)
    if product is not None:
        rows = rows.filter(issuance__product_id=product)
    if division is not None:
        rows = rows.filter(division_id=division)
    return rows.order_by("-created_at", "-id")


def alert_get_for_user(*, user: Any, pk: int) -> CounterfeitAlert:
    alert = (
        CounterfeitAlert.objects.restrict(user)
        .select_related("division", "producer", "issuance__product", "closed_by")
        .filter(pk=pk)
        .first()
    )
    if alert is None:
        raise NotFoundError("未找到该预警，或它不在您的数据范围内。")
    return alert


def alert_products_for_user(*, user: Any) -> QuerySet[GIProduct]:
    """The products the user's alerts are about (the list's product filter)."""
    ids = CounterfeitAlert.objects.restrict(user).values("issuance__product_id")
    return GIProduct.objects.filter(pk__in=ids).order_by("name")


def alert_open_count_for_user(*, user: Any) -> int:
    return CounterfeitAlert.objects.restrict(user).filter(status=AlertStatus.OPEN).count()


def reconciliation_list_for_user(
    *, user: Any, year: int | None = None, product: int | None = None, q: str = ""
) -> QuerySet[LabelAuthorization]:
    """Authorizations that have labels issued, with their issued total and open over-labelling
    alerts."""
    rows = (
        LabelAuthorization.objects.restrict(user)
        .filter(issuances__isnull=False)
        .annotate(labels_issued=Sum("issuances__count"), issuance_count=Count("issuances"))
        .select_related("producer__division", "product")
    )
    if year is not None:
        rows = rows.filter(year=year)
    if product is not None:
        rows = rows.filter(product_id=product)
    if q:
        rows = rows.filter(Q(producer__name__icontains=q) | Q(number__icontains=q))
    return rows.order_by("-year", "producer__name", "id")


def reconciliation_get_for_user(*, user: Any, pk: int) -> LabelAuthorization:
    authorization = (
        LabelAuthorization.objects.restrict(user)
        .select_related("producer__division", "product")
        .filter(pk=pk)
        .first()
    )
    if authorization is None:
        raise NotFoundError("未找到该标志使用授权，或它不在您的数据范围内。")
    return authorization


def over_labelling_alerts(*, user: Any, authorization: LabelAuthorization) -> QuerySet[Any]:
    """The over-labelling alerts raised for an authorization, as far as the user may see them."""
    return (
        CounterfeitAlert.objects.restrict(user)
        .filter(kind=AlertKind.OVER_LABELLING, evidence__authorization_id=authorization.pk)
        .order_by("-created_at", "-id")
    )


def alert_code(alert: CounterfeitAlert) -> str:
    """The label code an alert is about, grouped for reading (empty for an alert about no
    single code, or when its key has left the key ring)."""
    if alert.serial is None or alert.issuance is None:
        return ""
    try:
        return codes.group(codes.encode(alert.issuance.key_id, alert.serial))
    except (KeyError, ValueError):
        return ""


def authorizations_to_reconcile(*, years: list[int]) -> QuerySet[LabelAuthorization]:
    """Every authorization of those years with labels issued (the daily check; a system read,
    not scoped)."""
    return (
        LabelAuthorization.objects.filter(year__in=years, issuances__isnull=False)
        .distinct()
        .select_related("producer__division")
        .order_by("id")
    )
