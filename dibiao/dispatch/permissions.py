"""Who may do what in progress dispatch and supervision. Which rows: scoping (`restrict`).

The implementing body (实施主体) files reports and rectification reports: the county
administrator of the implementing county. A product spanning several counties is implemented
by its city (or, failing that, the province, see `projects.services.implementing_division`);
there no county administrator has the division in scope, so the administrator of that city or
province bureau itself is the implementing body. City and province administrators supervise:
they see who is late, return reports, visit, and issue and close notices.
"""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.models import Membership
from dibiao.accounts.permissions import has_role
from dibiao.accounts.scoping import scope_for
from dibiao.core.choices import DivisionLevel
from dibiao.core.models import Division

SUPERVISOR_ROLES = (Role.CITY_ADMIN, Role.PROVINCE_ADMIN)


def can_view_dispatch(user: Any) -> bool:
    """The dispatch and supervision pages belong to the government roles."""
    return has_role(user, *DIVISION_ROLES)


def can_file_reports(user: Any) -> bool:
    """Shows the filing side of the pages; `is_implementer` decides for one division."""
    return has_role(user, Role.COUNTY_ADMIN, *SUPERVISOR_ROLES)


def can_supervise(user: Any) -> bool:
    return has_role(user, *SUPERVISOR_ROLES)


def is_implementer(user: Any, division: Division) -> bool:
    if division.pk not in scope_for(user).division_ids:
        return False
    if division.level == DivisionLevel.COUNTY:
        return has_role(user, Role.COUNTY_ADMIN)
    return Membership.objects.filter(
        user_id=user.pk,
        role__in=SUPERVISOR_ROLES,
        organization__is_active=True,
        organization__division_id=division.pk,
    ).exists()


def supervises(user: Any, division: Division) -> bool:
    """A city or province administrator whose scope holds the division."""
    return can_supervise(user) and division.pk in scope_for(user).division_ids


def supervisor_division(user: Any, division: Division) -> Division | None:
    """The division of the user's supervising bureau over `division`: the nearest one (the city
    before the province) when the user holds both."""
    memberships = Membership.objects.filter(
        user_id=user.pk, role__in=SUPERVISOR_ROLES, organization__is_active=True
    ).select_related("organization__division")
    ancestors = {division.pk, division.parent_id}
    if division.parent is not None:
        ancestors.add(division.parent.parent_id)
    candidates = [
        m.organization.division for m in memberships if m.organization.division_id in ancestors
    ]
    order = {DivisionLevel.COUNTY: 0, DivisionLevel.CITY: 1, DivisionLevel.PROVINCE: 2}
    candidates.sort(key=lambda d: order.get(DivisionLevel(d.level), 3))
    return candidates[0] if candidates else None


def can_verify_notice(user: Any, notice: Any) -> bool:
    """The issuing level or above accepts or returns a rectification (the pages offer the
    buttons on this; `notice_close` / `notice_return` decide)."""
    return can_supervise(user) and notice.issuer_division_id in scope_for(user).division_ids
