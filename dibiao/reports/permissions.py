"""Who may use the reports. Which jobs: `selectors.report_job_list_for_user`."""

from __future__ import annotations

from typing import Any

from dibiao.accounts.choices import DIVISION_ROLES
from dibiao.accounts.permissions import has_role


def can_use_reports(user: Any) -> bool:
    """Every government role, each for the products of its scope (as the indicators)."""
    return has_role(user, *DIVISION_ROLES)
