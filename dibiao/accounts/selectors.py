"""Reads of accounts and organizations, scoped."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind
from dibiao.accounts.models import Membership, Organization, User
from dibiao.accounts.policy import axes_cooloff_time, axes_failure_limit
from dibiao.accounts.scoping import scope_for
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division


def organization_list_for_user(
    *, user: Any, q: str = "", kind: str = "", division: str = ""
) -> QuerySet[Organization]:
    qs = Organization.objects.restrict(user).select_related("division__parent")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q))
    if kind:
        qs = qs.filter(kind=kind)
    if division:
        qs = qs.filter(Q(division__code=division) | Q(division__parent__code=division))
    return qs.order_by("division__code", "name")


def organization_get_for_user(*, user: Any, pk: int) -> Organization:
    organization = (
        Organization.objects.restrict(user).select_related("division").filter(pk=pk).first()
    )
    if organization is None:
        raise NotFoundError("未找到该组织机构。")
    return organization


def organization_counts_for_user(*, user: Any) -> dict[str, int]:
    rows = Organization.objects.restrict(user).values("kind").annotate(n=Count("pk"))
    counts = {row["kind"]: row["n"] for row in rows}
    return {
        label: counts.get(value, 0)
        for value, label in OrganizationKind.choices
        if counts.get(value)
    }


def division_list_for_user(*, user: Any, level: str = "") -> QuerySet[Division]:
    qs = Division.objects.filter(pk__in=scope_for(user).division_ids).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("code")


def user_list(*, q: str = "", active: str = "") -> QuerySet[User]:
    """All accounts: the account and role administrators' view, not scoped by division."""
    qs = User.objects.prefetch_related("memberships__organization")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs.order_by("username")


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization__division")


def locked_usernames() -> list[str]:
    """Accounts locked out now by the failed-login policy."""
    since = timezone.now() - axes_cooloff_time()
    return list(
        AccessAttempt.objects.filter(
            failures_since_start__gte=axes_failure_limit(), attempt_time__gte=since
        )
        .order_by("username")
        .values_list("username", flat=True)
        .distinct()
    )
