"""Who may do what: small predicates over roles. Which rows they may touch is scoping's job."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import (
    ADMIN_ROLES,
    SELF_SERVICE_ORGANIZATION_KINDS,
    OrganizationKind,
    Role,
)


def role_codes(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    codes: frozenset[str] = user.role_codes
    return codes


def has_role(user: Any, *roles: str) -> bool:
    return bool(role_codes(user) & set(roles))


def role_places(user: Any) -> frozenset[tuple[str, int]]:
    """(role, division id) of each role the user holds in an active organization; read once per
    request object (list pages ask it for every row)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached: frozenset[tuple[str, int]] | None = getattr(user, "_role_places", None)
    if cached is None:
        from dibiao.accounts.models import Membership

        cached = frozenset(
            Membership.objects.filter(user_id=user.pk, organization__is_active=True).values_list(
                "role", "organization__division_id"
            )
        )
        user._role_places = cached
    return cached


def holds_role_at(user: Any, role: str, division_id: int | None) -> bool:
    """The user holds `role` in an active organization sitting at exactly that division (not
    merely somewhere above it)."""
    return division_id is not None and (role, division_id) in role_places(user)


def is_business_user(user: Any) -> bool:
    """A user with a role on the project's data (not one of the three administrators)."""
    return bool(role_codes(user) - ADMIN_ROLES)


def can_manage_accounts(user: Any) -> bool:
    return has_role(user, Role.SYSADMIN)


def can_assign_roles(user: Any) -> bool:
    return has_role(user, Role.SECADMIN)


def can_read_audit_log(user: Any) -> bool:
    return has_role(user, Role.AUDITOR)


def can_edit_products(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def can_edit_organizations(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def editable_organization_kinds(user: Any) -> frozenset[str]:
    """Kinds of organization the user may create or edit (the service enforces the same)."""
    if has_role(user, Role.PROVINCE_ADMIN):
        return frozenset(OrganizationKind.values)
    if can_edit_organizations(user):
        return SELF_SERVICE_ORGANIZATION_KINDS
    return frozenset()
