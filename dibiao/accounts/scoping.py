"""The one data-scoping mechanism (NetBox's `restrict`).

A government user (province, city, county, county government) sees the subtree of its
organization's division (the division itself and everything below it); a producer or lab sees its own organization. A model opts in by using
`ScopedQuerySet` and naming the lookups that lead from it to a division and to an organization.
Every selector, page, export and API list starts from `Model.objects.restrict(user)`, so an
object outside the scope is simply not found (404), never "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import Q

from dibiao.accounts.choices import DIVISION_ROLES, ORGANIZATION_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    division_ids: frozenset[int]
    organization_ids: frozenset[int]

    @property
    def is_empty(self) -> bool:
        return not self.division_ids and not self.organization_ids


EMPTY_SCOPE = Scope(frozenset(), frozenset())


def subtree_filter(division_ids: list[int]) -> Q:
    """Divisions at or below any of `division_ids`: itself, its children and grandchildren.

    The tree has three fixed levels (province, city, county), so two parent hops reach every
    descendant. Each term is an indexed foreign-key match: unlike a LIKE on `path`, it uses an
    index on SQLite and does not depend on the PostgreSQL collation's ordering of "/".
    """
    return reduce(
        or_,
        (Q(pk=pk) | Q(parent_id=pk) | Q(parent__parent_id=pk) for pk in division_ids),
        Q(pk__in=[]),
    )


def scope_for(user: AbstractBaseUser | AnonymousUser | None) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached: Scope | None = getattr(user, "_dibiao_scope", None)
    if cached is not None:
        return cached
    from dibiao.accounts.models import Membership
    from dibiao.core.models import Division

    # A deactivated organization's members lose its scope at once.
    memberships = Membership.objects.filter(
        user_id=user.pk, organization__is_active=True
    ).select_related("organization")
    roots: list[int] = []
    organization_ids: set[int] = set()
    for membership in memberships:
        if membership.role in DIVISION_ROLES:
            roots.append(membership.organization.division_id)
        elif membership.role in ORGANIZATION_ROLES:
            organization_ids.add(membership.organization_id)
    division_ids = (
        frozenset(Division.objects.filter(subtree_filter(roots)).values_list("pk", flat=True))
        if roots
        else frozenset()
    )
    scope = Scope(division_ids, frozenset(organization_ids))
    user._dibiao_scope = scope  # type: ignore[attr-defined]
    return scope


def forget_scope(user: Any) -> None:
    """Called by the services that change a user's memberships."""
    for attr in ("_dibiao_scope", "_role_codes", "_role_places"):
        if hasattr(user, attr):
            delattr(user, attr)


class ScopedQuerySet(models.QuerySet[M]):
    def restrict(self, user: AbstractBaseUser | AnonymousUser | None) -> Self:
        model = self.model
        scope = scope_for(user)
        conditions: list[Q] = []
        division_lookup: str | None = getattr(model, "scope_division_lookup", None)
        # One lookup, or several when more than one organization has a hand in a row (a test
        # report is seen by the producer it samples and by the lab that made it).
        organization_lookups: str | tuple[str, ...] | None = getattr(
            model, "scope_organization_lookup", None
        )
        if isinstance(organization_lookups, str):
            organization_lookups = (organization_lookups,)
        if scope.division_ids and division_lookup:
            conditions.append(Q(**{f"{division_lookup}__in": scope.division_ids}))
        if scope.organization_ids and organization_lookups:
            conditions.extend(
                Q(**{f"{lookup}__in": scope.organization_ids}) for lookup in organization_lookups
            )
        if not conditions:
            return self.none()
        condition = reduce(or_, conditions)
        if getattr(model, "scope_through_many", False):
            # A lookup through a many-to-many would repeat rows; a semi-join does not.
            return self.filter(pk__in=model._base_manager.filter(condition).values("pk"))
        return self.filter(condition)
