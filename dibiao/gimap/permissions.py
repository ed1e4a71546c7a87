"""Who may open the staff map. Which rows it draws: scoping (ScopedQuerySet.restrict)."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.permissions import is_business_user
from dibiao.accounts.scoping import scope_for
from dibiao.core.models import Division


def can_view_map(user: Any) -> bool:
    """Every business role; the three administrators have no data to draw (their work has no
    place on a map) and get the public map."""
    return is_business_user(user)


def can_view_division(user: Any, division: Division) -> bool:
    """A government user asks about a division of its own subtree (another county's is "not
    found", like any other out-of-scope row). A producer or lab may name any division: what it
    is shown there is its own organization's rows only."""
    scope = scope_for(user)
    if scope.division_ids:
        return division.pk in scope.division_ids
    return bool(scope.organization_ids)
