"""Who may do what in the production app. Which rows: scoping (ScopedQuerySet.restrict).
Sections: production logs and training; quality tests and grading."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, OrganizationKind, Role
from dibiao.accounts.models import Membership
from dibiao.accounts.permissions import has_role, holds_role_at

if TYPE_CHECKING:
    from dibiao.production.models import TestReport
    from dibiao.registry.models import GIProduct

# --- Production logs, training -----------------------------------------------------------------


def can_keep_logs(user: Any) -> bool:
    """Record production logs: a producer on its own bases, a county bureau on its county's
    (which bases: scoping)."""
    return has_role(user, Role.PRODUCER, Role.COUNTY_ADMIN)


def can_view_production(user: Any) -> bool:
    """Log and training pages: government users and producers (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


# Roles that record training sessions, in the order their organization is taken as organizer.
TRAINING_ROLES = (Role.COUNTY_ADMIN, Role.PRODUCER, Role.PROVINCE_ADMIN)


def can_record_training(user: Any) -> bool:
    """Record training sessions: county bureaus, producers and the province."""
    return has_role(user, *TRAINING_ROLES)


# --- End of production logs, training ----------------------------------------------------------


# --- Quality tests and grading -----------------------------------------------------------------


def lab_organization_ids(user: Any) -> frozenset[int]:
    """The labs (active organizations of kind lab) in which the user holds the lab role."""
    if user is None or not user.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(
            user_id=user.pk,
            role=Role.LAB,
            organization__kind=OrganizationKind.LAB,
            organization__is_active=True,
        ).values_list("organization_id", flat=True)
    )


def can_view_reports(user: Any) -> bool:
    """Test report pages: government users, producers and labs (rows: scoping)."""
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER, Role.LAB)


def can_record_tests(user: Any) -> bool:
    """Record test reports: a lab's users for their lab, the province on behalf of any lab."""
    return bool(lab_organization_ids(user)) or has_role(user, Role.PROVINCE_ADMIN)


def can_correct_report(user: Any, report: TestReport) -> bool:
    """Only the lab that made a report corrects it, whoever typed it in."""
    return report.lab_id in lab_organization_ids(user)


def can_edit_any_grading(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def can_edit_grading(user: Any, product: GIProduct) -> bool:
    """Edit a product's grading scheme: the province, or a county bureau of one of the
    product's counties (the product itself must be in the user's scope: selectors)."""
    if has_role(user, Role.PROVINCE_ADMIN):
        return True
    if not has_role(user, Role.COUNTY_ADMIN):
        return False
    return any(holds_role_at(user, Role.COUNTY_ADMIN, d.pk) for d in product.divisions.all())


def can_regrade_report(user: Any, report: TestReport) -> bool:
    return can_correct_report(user, report) or can_edit_grading(user, report.product)


# --- End of quality tests and grading ----------------------------------------------------------
