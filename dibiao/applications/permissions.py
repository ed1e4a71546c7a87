"""Who may do what with applications. Which rows: scoping (ScopedQuerySet.restrict); which
step: workflow.TRANSITIONS; here, whether the user holds the step's role at the right place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role, holds_role_at
from dibiao.applications.workflow import Transition, transitions_from
from dibiao.core.choices import DivisionLevel

if TYPE_CHECKING:
    from dibiao.applications.models import Application


def division_for(application: Application, level: str) -> int | None:
    if level == DivisionLevel.COUNTY:
        return application.division_id
    if level == DivisionLevel.CITY:
        return application.division.parent_id
    return application.program.province_id


def may_take(user: Any, application: Application, transition: Transition) -> bool:
    return holds_role_at(user, transition.role, division_for(application, transition.level))


def allowed_transitions(user: Any, application: Application) -> list[Transition]:
    """The steps this user may take on the application now (pages offer only these)."""
    return [t for t in transitions_from(application.status) if may_take(user, application, t)]


def can_apply(user: Any) -> bool:
    return has_role(user, Role.COUNTY_ADMIN)


def can_manage_review(user: Any) -> bool:
    """Configure the scheme, open and close the expert review, rank and decide: the province."""
    return has_role(user, Role.PROVINCE_ADMIN)


def is_expert(user: Any) -> bool:
    return has_role(user, Role.EXPERT)


def can_see_applications(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV)
