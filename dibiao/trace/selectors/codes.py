"""Reads of label-code issuances, their segments and label jobs, always from `restrict(user)`:
a county sees its producers' issuances (a city and the province those below them), a producer
its own. A label job is seen with its issuance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import role_places
from dibiao.core.errors import NotFoundError
from dibiao.producers.authorization_permissions import producer_organization_ids
from dibiao.producers.choices import AuthorizationStatus
from dibiao.producers.models import LabelAuthorization
from dibiao.trace.choices import BatchStatus, SegmentState
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, LabelJob


@dataclass(frozen=True)
class Quota:
    """An agreement's labels: authorized, issued so far, still issuable."""

    authorized: int
    issued: int

    @property
    def remaining(self) -> int:
        return max(self.authorized - self.issued, 0)


def authorization_quota(*, authorization: LabelAuthorization) -> Quota:
    issued = CodeIssuance.objects.filter(authorization=authorization).aggregate(n=Sum("count"))
    return Quota(authorized=authorization.authorized_quantity or 0, issued=int(issued["n"] or 0))


def issuance_list_for_user(
    *,
    user: Any,
    q: str = "",
    product: int | None = None,
    producer: int | None = None,
    authorization: int | None = None,
) -> QuerySet[CodeIssuance]:
    """`q` searches the issuance number, the entity's name and the agreement number."""
    qs = CodeIssuance.objects.restrict(user).select_related(
        "producer__division", "product", "authorization"
    )
    if q:
        qs = qs.filter(
            Q(number__icontains=q)
            | Q(producer__name__icontains=q)
            | Q(authorization__number__icontains=q)
        )
    if product is not None:
        qs = qs.filter(product_id=product)
    if producer is not None:
        qs = qs.filter(producer_id=producer)
    if authorization is not None:
        qs = qs.filter(authorization_id=authorization)
    return qs.order_by("-created_at", "-id")


def issuance_get_for_user(*, user: Any, pk: int) -> CodeIssuance:
    issuance = (
        issuance_list_for_user(user=user)
        .select_related("created_by", "authorization__producer")
        .filter(pk=pk)
        .first()
    )
    if issuance is None:
        raise NotFoundError("未找到该标签码发放记录。")
    return issuance


def issuance_state_totals(*, issuance: CodeIssuance) -> dict[str, int]:
    """Codes of the issuance per state (issued, active, voided), zero included."""
    rows = (
        CodeSegment.objects.filter(issuance=issuance)
        .values("state")
        .annotate(n=Sum(F("last_serial") - F("first_serial") + 1))
        .order_by()
    )
    totals = dict.fromkeys(SegmentState.values, 0)
    totals.update({row["state"]: int(row["n"]) for row in rows})
    return totals


def issuance_segments(*, issuance: CodeIssuance) -> QuerySet[CodeSegment]:
    """The segments of an issuance the caller already holds (fetched through its selector),
    with `size`, their number of codes."""
    return (
        CodeSegment.objects.filter(issuance=issuance)
        .select_related("batch", "changed_by")
        .annotate(size=F("last_serial") - F("first_serial") + 1)
        .order_by("first_serial")
    )


def issuance_products_for_user(*, user: Any) -> list[tuple[int, str]]:
    """(id, name) of the products with issuances in the user's scope, for the list filter."""
    rows = (
        CodeIssuance.objects.restrict(user)
        .values_list("product_id", "product__name")
        .distinct()
        .order_by("product__name", "product_id")
    )
    return list(rows)


def issuable_authorizations_for_user(*, user: Any) -> QuerySet[LabelAuthorization]:
    """Agreements valid today under which the user may issue codes: its own entity's, and for
    a county bureau those of its county's entities."""
    today = timezone.localdate()
    counties = [d for role, d in role_places(user) if role == Role.COUNTY_ADMIN]
    mine = Q(producer__organization__in=producer_organization_ids(user)) | Q(
        producer__division__in=counties
    )
    return (
        LabelAuthorization.objects.restrict(user)
        .filter(mine)
        .filter(status=AuthorizationStatus.APPROVED, valid_from__lte=today, valid_until__gte=today)
        .select_related("producer", "product")
        .annotate(issued=Coalesce(Sum("issuances__count"), 0))
        .annotate(remaining=F("authorized_quantity") - F("issued"))
        .order_by("producer__name", "product__name", "-year", "id")
    )


def bindable_batches_for_user(*, user: Any, issuance: CodeIssuance) -> QuerySet[Batch]:
    """Batches the issuance's codes may be bound to: the entity's own, of the same product,
    not recalled."""
    return (
        Batch.objects.restrict(user)
        .filter(producer_id=issuance.producer_id, product_id=issuance.product_id)
        .exclude(status=BatchStatus.RECALLED)
        .order_by("-harvest_date", "-id")
    )


def label_job_list_for_user(*, user: Any, issuance: int | None = None) -> QuerySet[LabelJob]:
    qs = LabelJob.objects.restrict(user).select_related("issuance", "created_by")
    if issuance is not None:
        qs = qs.filter(issuance_id=issuance)
    return qs.order_by("-created_at", "-id")


def label_job_get_for_user(*, user: Any, pk: int) -> LabelJob:
    job = (
        label_job_list_for_user(user=user)
        .select_related("issuance__product", "issuance__producer")
        .filter(pk=pk)
        .first()
    )
    if job is None:
        raise NotFoundError("未找到该标签生成任务。")
    return job
