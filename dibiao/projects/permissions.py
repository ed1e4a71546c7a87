"""Who may do what in the protection program. Which rows: scoping (ScopedQuerySet.restrict)."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role


def can_manage_programs(user: Any) -> bool:
    """Create programs, allocate funds, record disbursement: the province."""
    return has_role(user, Role.PROVINCE_ADMIN)


def can_keep_ledger(user: Any) -> bool:
    """Record contracts and expenditures: the implementing county bureau."""
    return has_role(user, Role.COUNTY_ADMIN)


def can_review_entries(user: Any) -> bool:
    """Approve or reject fund entries (never one's own): county, city or province staff."""
    return has_role(user, Role.COUNTY_ADMIN, Role.CITY_ADMIN, Role.PROVINCE_ADMIN)
