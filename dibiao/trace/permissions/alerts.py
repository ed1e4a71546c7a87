"""Who may do what with counterfeit alerts, the thresholds and reconciliation. Which alerts:
scoping by the alert's division (`CounterfeitAlert.objects.restrict`), so a county sees its
producers' alerts, a city its counties', the province all of them, including the forged-code
alerts placed at the province.

- Alerts are for government users; producers do not see them (an alert may be about them).
- Closing an alert (with a note): the county administrator of the alert's county, or the
  province administrator.
- The thresholds: every government user reads them, the province administrator sets them.
- Reconciliation of an authorization (labels issued, authorized, harvested, bound): government
  users and the producer itself (rows: scoping of the authorization); running the
  over-labelling check, which raises alerts: county and province administrators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.accounts.permissions import has_role, holds_role_at

if TYPE_CHECKING:
    from dibiao.trace.models import CounterfeitAlert


def can_view_alerts(user: Any) -> bool:
    return has_role(user, *DIVISION_ROLES)


def can_close_alert(user: Any, alert: CounterfeitAlert) -> bool:
    if has_role(user, Role.PROVINCE_ADMIN):
        return True
    return holds_role_at(user, Role.COUNTY_ADMIN, alert.division_id)


def may_close_alerts(user: Any) -> bool:
    """Whether to offer the close form at all (the alert's county is checked on submit)."""
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)


def can_view_trace_settings(user: Any) -> bool:
    return has_role(user, *DIVISION_ROLES)


def can_edit_trace_settings(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN)


def can_view_reconciliation(user: Any) -> bool:
    return has_role(user, *DIVISION_ROLES, Role.PRODUCER)


def can_run_reconciliation(user: Any) -> bool:
    return has_role(user, Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN)
