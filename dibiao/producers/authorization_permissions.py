"""Who may act on label-use authorizations (标志授权使用). Which rows they see: scoping
(`LabelAuthorization.objects.restrict`), which already lets the applicant's staff and the
product's certificate holder see an application."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.accounts.scoping import scope_for
from dibiao.producers.choices import AuthorizationStatus

if TYPE_CHECKING:
    from dibiao.producers.models import LabelAuthorization, Producer
    from dibiao.registry.models import GIProduct

PENDING_STATUSES = frozenset(
    {AuthorizationStatus.PENDING_HOLDER, AuthorizationStatus.PENDING_COUNTY}
)


def producer_organization_ids(user: Any) -> frozenset[int]:
    """The active organizations where the user holds the producer role; read once per request
    object, since lists ask for every row (as `role_places` does)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached: frozenset[int] | None = getattr(user, "_producer_organization_ids", None)
    if cached is None:
        cached = frozenset(
            Membership.objects.filter(
                user_id=user.pk, role=Role.PRODUCER, organization__is_active=True
            ).values_list("organization_id", flat=True)
        )
        user._producer_organization_ids = cached
    return cached


def works_for(user: Any, organization_id: int | None) -> bool:
    """The user holds the producer role in that (active) organization."""
    return organization_id is not None and organization_id in producer_organization_ids(user)


def is_county_admin_of(user: Any, producer: Producer) -> bool:
    return holds_role_at(user, Role.COUNTY_ADMIN, producer.division_id)


def can_apply(user: Any) -> bool:
    """Whether to offer the application form at all: producers and county bureaus."""
    return has_role(user, Role.PRODUCER, Role.COUNTY_ADMIN)


def can_apply_for(user: Any, producer: Producer) -> bool:
    """The producer's own staff, or the county bureau of its county on its behalf."""
    return works_for(user, producer.organization_id) or is_county_admin_of(user, producer)


def is_holder_of(user: Any, product: GIProduct) -> bool:
    """The user works for the product's certificate holder (证书持有人)."""
    return works_for(user, product.certificate_holder_id)


def is_applicant(user: Any, authorization: LabelAuthorization) -> bool:
    """The applying producer's staff, or the person who filed the application."""
    return (
        user is not None
        and user.is_authenticated
        and (
            authorization.applied_by_id == user.pk
            or works_for(user, authorization.producer.organization_id)
        )
    )


def can_holder_review(user: Any, authorization: LabelAuthorization) -> bool:
    """The certificate holder's staff, never on an application of its own side."""
    return is_holder_of(user, authorization.product) and not is_applicant(user, authorization)


def can_county_review(user: Any, authorization: LabelAuthorization) -> bool:
    """The county bureau of the applicant's county (holding the role there, not above it)."""
    return is_county_admin_of(user, authorization.producer)


def can_supervise(user: Any, authorization: LabelAuthorization) -> bool:
    """Suspend, resume and revoke an agreement: its county bureau, or the province."""
    return can_county_review(user, authorization) or (
        has_role(user, Role.PROVINCE_ADMIN)
        and authorization.producer.division_id in scope_for(user).division_ids
    )


def can_withdraw(user: Any, authorization: LabelAuthorization) -> bool:
    return is_applicant(user, authorization)


def available_actions(user: Any, authorization: LabelAuthorization) -> frozenset[str]:
    """What the user may do to the authorization now (the detail page shows these forms)."""
    status = authorization.status
    actions: set[str] = set()
    if status == AuthorizationStatus.PENDING_HOLDER and can_holder_review(user, authorization):
        actions.add("holder_review")
    if status == AuthorizationStatus.PENDING_COUNTY and can_county_review(user, authorization):
        actions.add("county_review")
    if status in PENDING_STATUSES and can_withdraw(user, authorization):
        actions.add("withdraw")
    if status in (AuthorizationStatus.APPROVED, AuthorizationStatus.SUSPENDED) and can_supervise(
        user, authorization
    ):
        actions.add("revoke")
        actions.add("suspend" if status == AuthorizationStatus.APPROVED else "resume")
    return frozenset(actions)
