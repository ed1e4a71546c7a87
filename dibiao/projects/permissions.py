"""Who may do what in the protection program. Which rows: scoping (ScopedQuerySet.restrict)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.core.choices import DivisionLevel

if TYPE_CHECKING:
    from dibiao.projects.models import Allocation


def can_manage_programs(user: Any) -> bool:
    """Create programs, allocate funds, record disbursement: the province."""
    return has_role(user, Role.PROVINCE_ADMIN)


# Who keeps an allocation's contracts and ledger (the implementing body): the county bureau
# for a county allocation; for a product implemented at city or province level (it spans
# counties, or its county is unknown) that city's bureau or the provincial department.
LEDGER_KEEPER_ROLES: dict[str, str] = {
    DivisionLevel.COUNTY: Role.COUNTY_ADMIN,
    DivisionLevel.CITY: Role.CITY_ADMIN,
    DivisionLevel.PROVINCE: Role.PROVINCE_ADMIN,
}


def can_keep_ledger(user: Any, allocation: Allocation | None = None) -> bool:
    """Record contracts and expenditures. Without an allocation: whether the user keeps any
    ledger at all (to show the forms); with one: whether it keeps that allocation's."""
    if allocation is None:
        return has_role(user, *LEDGER_KEEPER_ROLES.values())
    role = LEDGER_KEEPER_ROLES.get(allocation.division.level)
    return role is not None and holds_role_at(user, role, allocation.division_id)


def can_review_entries(user: Any) -> bool:
    """Approve or reject fund entries (never one's own): county, city or province staff."""
    return has_role(user, Role.COUNTY_ADMIN, Role.CITY_ADMIN, Role.PROVINCE_ADMIN)
