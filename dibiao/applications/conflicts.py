"""The conflict-of-interest rule (回避): an expert never scores an application from their own
county.

An expert is in conflict with an application when any of the expert's memberships (active or
not: a past tie still counts) is in an organization that sits in the application's county, is
the applying bureau, or is the product's certificate holder (证书持有人, which for a product
placed above county level may sit elsewhere).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from dibiao.accounts.models import Membership, User
from dibiao.applications.models import Application


@dataclass(frozen=True)
class Conflict:
    expert: User
    application: Application
    organization: str

    @property
    def message(self) -> str:
        return (
            f"专家“{self.expert}”与“{self.application.product.name}”的申报县"
            f"（{self.application.division.name}）有关联（{self.organization}），须回避。"
        )


def conflicts_among(experts: Sequence[User], applications: Sequence[Application]) -> list[Conflict]:
    """Every conflicting (expert, application) pair, in one query over the experts' memberships."""
    if not experts or not applications:
        return []
    divisions = {a.division_id for a in applications}
    organizations = {a.organization_id for a in applications} | {
        a.product.certificate_holder_id
        for a in applications
        if a.product.certificate_holder_id is not None
    }
    memberships = (
        Membership.objects.filter(user__in=[e.pk for e in experts])
        .filter(Q(organization__division_id__in=divisions) | Q(organization_id__in=organizations))
        .select_related("organization")
    )
    ties: dict[int, list[Membership]] = {}
    for membership in memberships:
        ties.setdefault(membership.user_id, []).append(membership)
    found: list[Conflict] = []
    for expert in experts:
        for application in applications:
            for membership in ties.get(expert.pk, []):
                organization = membership.organization
                if organization.division_id == application.division_id or organization.pk in (
                    application.organization_id,
                    application.product.certificate_holder_id,
                ):
                    found.append(Conflict(expert, application, organization.name))
                    break
    return found
