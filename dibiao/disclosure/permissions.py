"""Who may publish and handle notices. Which notices a user sees at all is scoping's job.

The province publishes through its department at the province division, a county through its
agricultural bureau at the county: a notice is managed (edited, published, withdrawn, settled,
its objections answered) by an administrator of the level and division it was published at.
A city administrator, or the province looking at a county's notice, reads only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.models import Membership, Organization
from dibiao.accounts.permissions import has_role
from dibiao.core.choices import DivisionLevel
from dibiao.core.models import Division

PUBLISHING_ROLE: dict[str, str] = {
    DivisionLevel.PROVINCE: Role.PROVINCE_ADMIN,
    DivisionLevel.COUNTY: Role.COUNTY_ADMIN,
}


def can_read_notices(user: Any) -> bool:
    """The staff pages are for government users; producers, labs and experts have no notices in
    their scope and read the public pages like everyone else."""
    return has_role(user, *DIVISION_ROLES)


def can_publish_notices(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def _publishing_memberships(user: Any) -> QuerySet[Membership]:
    if user is None or not user.is_authenticated or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(
        user_id=user.pk,
        organization__is_active=True,
        role__in=PUBLISHING_ROLE.values(),
    ).select_related("organization__division")


def publisher_for(user: Any, division: Division) -> Organization | None:
    """The organization through which `user` publishes at `division`, if it may."""
    role = PUBLISHING_ROLE.get(division.level)
    if role is None:
        return None
    membership = (
        _publishing_memberships(user)
        .filter(role=role, organization__division_id=division.pk)
        .order_by("organization__name", "pk")
        .first()
    )
    return membership.organization if membership else None


def publishable_divisions(user: Any) -> list[Division]:
    """The divisions `user` can publish at (usually one: its province or its county)."""
    divisions = {
        m.organization.division_id: m.organization.division
        for m in _publishing_memberships(user)
        if PUBLISHING_ROLE.get(m.organization.division.level) == m.role
    }
    return sorted(divisions.values(), key=lambda d: d.code)


def can_manage_notice(user: Any, notice: Any) -> bool:
    return publisher_for(user, notice.division) is not None
