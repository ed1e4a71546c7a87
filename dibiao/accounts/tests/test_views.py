from __future__ import annotations

import pytest
from django.test import Client

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, Organization, SecurityPolicy, User
from dibiao.core.models import AuditLog
from dibiao.testing.factories import (
    OrganizationFactory,
    UserFactory,
    user_with_role,
)
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept(tree):
    return OrganizationFactory.create(
        kind=OrganizationKind.PROVINCIAL_DEPT, division=tree["p"], name="省农业农村厅"
    )


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_sysadmin_creates_account_through_the_page(tree, dept):
    sysadmin = user_with_role(Role.SYSADMIN, tree["p"], organization=dept)
    response = client_for(sysadmin).post(
        "/accounts/users/new/",
        {
            "username": "wang_li",
            "full_name": "王力",
            "phone": "",
            "email": "",
            "password1": "Qingxu-Grape-2021",
            "password2": "Qingxu-Grape-2021",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="wang_li").check_password("Qingxu-Grape-2021")


def test_account_form_shows_password_errors_in_chinese(tree, dept):
    sysadmin = user_with_role(Role.SYSADMIN, tree["p"], organization=dept)
    response = client_for(sysadmin).post(
        "/accounts/users/new/",
        {"username": "wang_li", "password1": "abc", "password2": "abd"},
    )
    assert response.status_code == 200
    assert "两次输入的密码不一致" in response.content.decode()
    assert not User.objects.filter(username="wang_li").exists()


def test_granting_auditor_to_sysadmin_is_refused_with_clear_message(tree, dept):
    secadmin = user_with_role(Role.SECADMIN, tree["p"], organization=dept)
    sysadmin = user_with_role(Role.SYSADMIN, tree["p"], organization=dept)
    response = client_for(secadmin).post(
        f"/accounts/roles/{sysadmin.pk}/", {"organization": dept.pk, "role": Role.AUDITOR}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "三权分立" in page
    assert "不能再兼任审计管理员" in page
    assert not Membership.objects.filter(user=sysadmin, role=Role.AUDITOR).exists()


def test_secadmin_grants_and_revokes_through_pages(tree, dept):
    secadmin = user_with_role(Role.SECADMIN, tree["p"], organization=dept)
    user = UserFactory.create()
    client = client_for(secadmin)
    assert (
        client.post(
            f"/accounts/roles/{user.pk}/", {"organization": dept.pk, "role": Role.PROVINCE_ADMIN}
        ).status_code
        == 302
    )
    membership = Membership.objects.get(user=user)
    assert client.post(f"/accounts/roles/revoke/{membership.pk}/").status_code == 302
    assert not Membership.objects.filter(user=user).exists()


def test_security_policy_page_saves_and_rejects_out_of_range(tree, dept):
    secadmin = user_with_role(Role.SECADMIN, tree["p"], organization=dept)
    client = client_for(secadmin)
    values = {
        "failure_limit": 5,
        "lockout_minutes": 30,
        "idle_timeout_minutes": 15,
        "password_min_length": 10,
    }
    assert client.post("/accounts/security-policy/", values).status_code == 302
    assert SecurityPolicy.objects.get(pk=1).idle_timeout_minutes == 15
    bad = client.post("/accounts/security-policy/", {**values, "failure_limit": 50})
    assert bad.status_code == 200
    assert SecurityPolicy.objects.get(pk=1).failure_limit == 5


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.PROVINCE_ADMIN, "/accounts/users/"),
        (Role.PROVINCE_ADMIN, "/accounts/roles/"),
        (Role.PROVINCE_ADMIN, "/audit/"),
        (Role.SYSADMIN, "/accounts/roles/"),
        (Role.SYSADMIN, "/registry/products/"),
        (Role.SYSADMIN, "/audit/"),
        (Role.SECADMIN, "/accounts/users/new/"),
        (Role.AUDITOR, "/registry/products/"),
        (Role.AUDITOR, "/accounts/users/"),
        (Role.PRODUCER, "/accounts/organizations/"),
    ],
)
def test_pages_refuse_roles_that_do_not_hold_the_duty(tree, role, url):
    division = tree["c1a"] if role == Role.PRODUCER else tree["p"]
    assert client_for(user_with_role(role, division)).get(url).status_code == 403


def test_anonymous_is_sent_to_login():
    response = Client().get("/accounts/users/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_county_admin_organization_pages_are_scoped(tree):
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    other = OrganizationFactory.create(division=tree["c1b"])
    client = client_for(admin)
    assert client.get(f"/accounts/organizations/{other.pk}/edit/").status_code == 404
    listing = client.get("/accounts/organizations/").content.decode()
    assert other.name not in listing
    response = client.post(
        "/accounts/organizations/new/",
        {
            "name": "新合作社",
            "kind": OrganizationKind.PRODUCER,
            "division": tree["c1a"].pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Organization.objects.filter(name="新合作社", division=tree["c1a"]).exists()


def test_county_admin_cannot_create_government_bodies(tree):
    admin = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    response = client_for(admin).post(
        "/accounts/organizations/new/",
        {"name": "假县政府", "kind": OrganizationKind.COUNTY_GOV, "division": tree["c1a"].pk},
    )
    assert response.status_code == 200
    assert not Organization.objects.filter(name="假县政府").exists()


def test_organization_export_is_scoped_and_audited(tree):
    admin = user_with_role(Role.CITY_ADMIN, tree["c1"])
    OrganizationFactory.create(division=tree["c1a"], name="=cmd|calc")
    OrganizationFactory.create(division=tree["c2a"], name="外市机构")
    response = client_for(admin).get("/accounts/organizations/?format=xlsx")
    names = [row[0] for row in xlsx_rows(response)[1:]]
    assert "'=cmd|calc" in names
    assert "外市机构" not in names
    assert (
        AuditLog.objects.filter(action="export", object_type="accounts.organization").count() == 1
    )


def test_not_found_page_is_the_chinese_template():
    response = Client().get("/no/such/page/")
    assert response.status_code == 404
    assert "您访问的页面或记录不存在" in response.content.decode()
