"""Races that only a real multi-connection database can show (PostgreSQL in CI)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from dibiao.accounts import services
from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.errors import AccountsError
from dibiao.accounts.models import Membership
from dibiao.testing.factories import (
    OrganizationFactory,
    UserFactory,
    division_tree,
    user_with_role,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_admin_grants_cannot_both_pass_separation_check():
    tree = division_tree()
    dept = OrganizationFactory.create(kind=OrganizationKind.PROVINCIAL_DEPT, division=tree["p"])
    secadmin = user_with_role(Role.SECADMIN, tree["p"], organization=dept)
    target = UserFactory.create()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def grant(role: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.membership_grant(actor=secadmin, user=target, organization=dept, role=role)
            outcomes.append("granted")
        except AccountsError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=grant, args=(role,)) for role in (Role.SYSADMIN, Role.AUDITOR)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["granted", "separation_of_duties"]
    assert Membership.objects.filter(user=target).count() == 1
