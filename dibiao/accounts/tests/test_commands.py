from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.testing.factories import division_tree

pytestmark = pytest.mark.django_db


def test_create_admins_makes_three_separate_admin_accounts_once():
    division_tree()
    out = io.StringIO()
    call_command("create_admins", division="140000", stdout=out)
    passwords = dict(re.findall(r"(\w+)（.+?）：初始密码 (\S+)", out.getvalue()))
    assert set(passwords) == {"sysadmin", "secadmin", "auditor"}
    for username, role in (
        ("sysadmin", Role.SYSADMIN),
        ("secadmin", Role.SECADMIN),
        ("auditor", Role.AUDITOR),
    ):
        user = User.objects.get(username=username)
        assert user.check_password(passwords[username])
        assert list(user.memberships.values_list("role", flat=True)) == [role]
    again = io.StringIO()
    call_command("create_admins", division="140000", stdout=again)
    assert "初始密码" not in again.getvalue()


def test_create_admins_needs_a_province():
    with pytest.raises(CommandError):
        call_command("create_admins", division="149999")
