from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.portal.selectors import audit_log_list, audit_summary_today, user_counts
from dibiao.testing.factories import (
    OrganizationFactory,
    UserFactory,
    division_tree,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_user_counts_count_a_user_with_several_roles_once():
    tree = division_tree()
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    Membership.objects.create(
        user=user,
        organization=OrganizationFactory.create(
            kind=OrganizationKind.COUNTY_GOV, division=tree["c1a"]
        ),
        role=Role.COUNTY_GOV,
    )
    UserFactory.create()
    UserFactory.create(is_active=False)

    assert user_counts() == {"total": 3, "active": 2, "inactive": 1, "without_role": 2}


def test_audit_summary_today_leaves_out_earlier_days():
    AuditLog.objects.create(action=AuditAction.LOGIN_FAILED, username="a")
    AuditLog.objects.create(
        action=AuditAction.LOGIN_FAILED,
        username="b",
        at=timezone.now() - timedelta(days=1, hours=1),
    )
    AuditLog.objects.create(action=AuditAction.PERMISSION_REVOKE, username="c")

    assert audit_summary_today() == {
        "total": 2,
        "failed_logins": 1,
        "exports": 0,
        "permission_changes": 1,
    }


def test_audit_log_list_orders_newest_first_and_breaks_ties_by_id():
    now = timezone.now()
    first = AuditLog.objects.create(action=AuditAction.LOGIN, username="x", at=now)
    second = AuditLog.objects.create(action=AuditAction.LOGOUT, username="x", at=now)
    older = AuditLog.objects.create(
        action=AuditAction.LOGIN, username="x", at=now - timedelta(minutes=5)
    )

    assert list(audit_log_list(username="x")) == [second, first, older]
