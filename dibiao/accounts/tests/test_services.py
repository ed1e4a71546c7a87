from __future__ import annotations

import pytest

from dibiao.accounts import services
from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.errors import AccountsError
from dibiao.accounts.models import Membership, Organization, SecurityPolicy, User
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.testing.factories import (
    OrganizationFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_sysadmin_creates_account_with_audit_and_no_password_in_log(sysadmin):
    user = services.user_create(
        actor=sysadmin, username="zhang", password="Qingxu-Grape-2021", full_name="张三"
    )
    assert user.check_password("Qingxu-Grape-2021")
    row = AuditLog.objects.get(action="create", object_type="accounts.user")
    assert row.username == sysadmin.username
    assert row.role == "sysadmin"
    assert row.changes["after"]["password"] == "******"


def test_weak_password_is_refused_and_nothing_is_written(sysadmin):
    with pytest.raises(AccountsError) as exc:
        services.user_create(actor=sysadmin, username="li", password="12345678")
    assert exc.value.code == "weak_password"
    assert not User.objects.filter(username="li").exists()
    assert not AuditLog.objects.filter(action="create").exists()


@pytest.mark.parametrize("password", ["short1!", "password123", "liming2021x"])
def test_password_rules_length_common_and_similar_to_username(sysadmin, password):
    with pytest.raises(AccountsError):
        services.user_create(actor=sysadmin, username="liming2021", password=password)


def test_duplicate_username_is_refused_case_insensitively(sysadmin):
    UserFactory.create(username="Wang")
    with pytest.raises(AccountsError) as exc:
        services.user_create(actor=sysadmin, username="wang", password="Qingxu-Grape-2021")
    assert exc.value.code == "username_taken"


def test_only_sysadmin_creates_accounts(secadmin):
    with pytest.raises(ForbiddenError):
        services.user_create(actor=secadmin, username="x1", password="Qingxu-Grape-2021")


def test_secadmin_grants_role_and_it_is_audited(secadmin, tree):
    user = UserFactory.create()
    bureau = OrganizationFactory.create(kind=OrganizationKind.COUNTY_BUREAU, division=tree["c1a"])
    services.membership_grant(
        actor=secadmin, user=user, organization=bureau, role=Role.COUNTY_ADMIN
    )
    assert user.memberships.get().role == Role.COUNTY_ADMIN
    row = AuditLog.objects.get(action="permission_grant")
    assert row.object_id == str(user.pk)


def test_sysadmin_cannot_also_be_auditor(secadmin, sysadmin, dept):
    with pytest.raises(AccountsError) as exc:
        services.membership_grant(
            actor=secadmin, user=sysadmin, organization=dept, role=Role.AUDITOR
        )
    assert exc.value.code == "separation_of_duties"
    assert "三权分立" in exc.value.message
    assert "系统管理员" in exc.value.message
    assert list(sysadmin.memberships.values_list("role", flat=True)) == [Role.SYSADMIN]


def test_admin_account_cannot_hold_business_role_and_vice_versa(secadmin, sysadmin, tree, dept):
    with pytest.raises(AccountsError):
        services.membership_grant(
            actor=secadmin, user=sysadmin, organization=dept, role=Role.PROVINCE_ADMIN
        )
    business = user_with_role(Role.PROVINCE_ADMIN, tree["p"], organization=dept)
    with pytest.raises(AccountsError):
        services.membership_grant(
            actor=secadmin, user=business, organization=dept, role=Role.AUDITOR
        )


def test_business_roles_may_be_combined(secadmin, tree):
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    panel = OrganizationFactory.create(kind=OrganizationKind.OTHER, division=tree["p"])
    services.membership_grant(actor=secadmin, user=user, organization=panel, role=Role.EXPERT)
    assert set(user.memberships.values_list("role", flat=True)) == {Role.COUNTY_ADMIN, Role.EXPERT}


def test_role_must_match_organization_kind_and_division_level(secadmin, tree):
    user = UserFactory.create()
    producer = OrganizationFactory.create(kind=OrganizationKind.PRODUCER, division=tree["c1a"])
    with pytest.raises(AccountsError) as exc:
        services.membership_grant(
            actor=secadmin, user=user, organization=producer, role=Role.COUNTY_ADMIN
        )
    assert exc.value.code == "role_organization_mismatch"
    city_level_county_bureau = OrganizationFactory.create(
        kind=OrganizationKind.COUNTY_BUREAU, division=tree["c1"]
    )
    with pytest.raises(AccountsError) as exc:
        services.membership_grant(
            actor=secadmin, user=user, organization=city_level_county_bureau, role=Role.COUNTY_ADMIN
        )
    assert exc.value.code == "role_division_mismatch"
    assert not Membership.objects.filter(user=user).exists()


def test_unknown_role_is_refused(secadmin, dept):
    with pytest.raises(AccountsError) as exc:
        services.membership_grant(
            actor=secadmin, user=UserFactory.create(), organization=dept, role="superuser"
        )
    assert exc.value.code == "invalid_role"


def test_granting_the_same_role_twice_is_idempotent(secadmin, dept):
    user = UserFactory.create()
    services.membership_grant(
        actor=secadmin, user=user, organization=dept, role=Role.PROVINCE_ADMIN
    )
    services.membership_grant(
        actor=secadmin, user=user, organization=dept, role=Role.PROVINCE_ADMIN
    )
    assert user.memberships.count() == 1
    assert AuditLog.objects.filter(action="permission_grant").count() == 1


def test_only_secadmin_grants_and_revokes(sysadmin, dept, tree):
    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"], organization=dept)
    with pytest.raises(ForbiddenError):
        services.membership_grant(
            actor=sysadmin, user=UserFactory.create(), organization=dept, role=Role.PROVINCE_ADMIN
        )
    with pytest.raises(ForbiddenError):
        services.membership_revoke(actor=sysadmin, membership=user.memberships.get())


def test_revoke_removes_scope_immediately(secadmin, tree, dept):
    from dibiao.accounts.scoping import scope_for

    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"], organization=dept)
    assert not scope_for(user).is_empty
    services.membership_revoke(actor=secadmin, membership=user.memberships.get())
    user.refresh_from_db()
    assert scope_for(User.objects.get(pk=user.pk)).is_empty
    assert AuditLog.objects.filter(action="permission_revoke").count() == 1


def test_secadmin_cannot_revoke_own_secadmin_role(secadmin):
    with pytest.raises(AccountsError) as exc:
        services.membership_revoke(actor=secadmin, membership=secadmin.memberships.get())
    assert exc.value.code == "cannot_revoke_self"


def test_sysadmin_cannot_disable_self(sysadmin):
    with pytest.raises(AccountsError):
        services.user_set_active(actor=sysadmin, user=sysadmin, active=False)


def test_security_policy_update_validates_bounds(secadmin):
    services.security_policy_update(actor=secadmin, failure_limit=3, lockout_minutes=60)
    policy = SecurityPolicy.objects.get(pk=1)
    assert (policy.failure_limit, policy.lockout_minutes) == (3, 60)
    with pytest.raises(AccountsError) as exc:
        services.security_policy_update(actor=secadmin, password_min_length=6)
    assert exc.value.code == "invalid_policy"
    with pytest.raises(AccountsError):
        services.security_policy_update(actor=secadmin, is_superuser=True)
    assert SecurityPolicy.objects.get(pk=1).password_min_length == 8
    assert AuditLog.objects.filter(action="policy_change").count() == 1


def test_county_admin_creates_producer_in_own_county_only(tree):
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    created = services.organization_save(
        actor=admin,
        data={
            "name": "清徐县葡萄合作社",
            "kind": OrganizationKind.PRODUCER,
            "division": tree["c1a"],
        },
    )
    assert created.pk
    with pytest.raises(AccountsError) as exc:
        services.organization_save(
            actor=admin,
            data={"name": "别县合作社", "kind": OrganizationKind.PRODUCER, "division": tree["c1b"]},
        )
    assert exc.value.code == "division_out_of_scope"
    other = OrganizationFactory.create(division=tree["c1b"])
    with pytest.raises(NotFoundError):
        services.organization_save(actor=admin, organization=other, data={"name": "改名"})
    assert Organization.objects.get(pk=other.pk).name == other.name


def test_organization_name_unique_within_division(tree):
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    OrganizationFactory.create(name="同名社", division=tree["c1a"])
    with pytest.raises(AccountsError) as exc:
        services.organization_save(
            actor=admin,
            data={"name": "同名社", "kind": OrganizationKind.PRODUCER, "division": tree["c1a"]},
        )
    assert exc.value.code == "invalid_organization"


def test_sysadmin_cannot_take_over_secadmin_or_auditor_accounts(sysadmin, secadmin, tree, dept):
    auditor = user_with_role(Role.AUDITOR, tree["p"], organization=dept)
    for target in (secadmin, auditor):
        with pytest.raises(AccountsError) as exc:
            services.user_set_password(actor=sysadmin, user=target, password="Another-Pass-2021")
        assert exc.value.code == "separation_of_duties"
        with pytest.raises(AccountsError):
            services.user_set_active(actor=sysadmin, user=target, active=False)
    assert User.objects.get(pk=secadmin.pk).is_active


def test_sysadmin_resets_a_business_account_and_the_owner_changes_own(sysadmin, tree):
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    services.user_set_password(actor=sysadmin, user=user, password="Reset-By-Admin-2021")
    services.user_set_password(actor=user, user=user, password="Chosen-By-Me-2021")
    assert User.objects.get(pk=user.pk).check_password("Chosen-By-Me-2021")
    services.user_set_active(actor=None, user=user, active=False)
    assert not User.objects.get(pk=user.pk).is_active


def test_county_admin_cannot_create_government_bodies_through_the_service(tree):
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    with pytest.raises(AccountsError) as exc:
        services.organization_save(
            actor=admin,
            data={
                "name": "假农业农村厅",
                "kind": OrganizationKind.PROVINCIAL_DEPT,
                "division": tree["c1a"],
            },
        )
    assert exc.value.code == "organization_kind_not_allowed"
    province = user_with_role(Role.PROVINCE_ADMIN, tree["p"])
    created = services.organization_save(
        actor=province,
        data={
            "name": "新县农业农村局",
            "kind": OrganizationKind.COUNTY_BUREAU,
            "division": tree["c1a"],
        },
    )
    assert created.kind == OrganizationKind.COUNTY_BUREAU


def test_deactivated_organization_takes_its_members_scope_away(tree):
    from dibiao.accounts.scoping import scope_for

    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    organization = user.memberships.get().organization
    organization.is_active = False
    organization.save()
    assert scope_for(User.objects.get(pk=user.pk)).is_empty
