"""Who may change the platform's reference data kept in core."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import Role
from dibiao.accounts.permissions import has_role


def can_edit_boundaries(user: Any) -> bool:
    """Division boundaries are province-wide reference data: the provincial department's."""
    return has_role(user, Role.PROVINCE_ADMIN)
