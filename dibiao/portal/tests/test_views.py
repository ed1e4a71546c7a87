from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

HOME = "/"
AUDIT = "/audit/"
NO_ROLE_MESSAGE = "您的账号尚未分配角色，请联系安全管理员。"
PRODUCTS_SECTION = "<h2>地理标志产品</h2>"
AUDIT_SECTION = "<h2>今日审计</h2>"


@pytest.fixture
def products(tree):
    return {
        "own": ProductFactory.create(
            name="清徐葡萄", certificate_number="AGI01055", divisions=[tree["c1a"]]
        ),
        "sibling": ProductFactory.create(name="阳曲小米", divisions=[tree["c1b"]]),
        "other_city": ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]]),
        "cancelled": ProductFactory.create(
            name="已注销产品", status=ProductStatus.CANCELLED, divisions=[tree["c2b"]]
        ),
    }


def page_as(user, url=HOME, **params):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


def _html(response) -> str:
    return response.content.decode()


def _at(day: str, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.strptime(day, "%Y-%m-%d").replace(hour=hour))


# --- home page ---------------------------------------------------------------------------------


def test_anonymous_home_is_the_public_landing_page_with_registered_products(products):
    response = page_as(None)

    html = _html(response)
    assert response.status_code == 200
    assert "portal/landing.html" in [t.name for t in response.templates]
    assert "工作人员登录" in html
    assert reverse("accounts:login") in html
    for key in ("own", "sibling", "other_city"):
        assert products[key].name in html
    assert "已注销产品" not in html
    assert reverse("registry:public-product-detail", args=[products["own"].pk]) in html


def test_landing_page_lists_at_most_twelve_products(tree):
    for n in range(15):
        ProductFactory.create(name=f"产品{n:02d}", divisions=[tree["c1a"]])

    response = page_as(None)

    assert len(response.context["products"]) == 12


def test_landing_page_without_products_says_so():
    assert "暂无已登记的地理标志产品。" in _html(page_as(None))


def test_province_admin_home_shows_province_wide_product_counts(tree, products):
    OrganizationFactory.create(kind=OrganizationKind.PRODUCER, division=tree["c1a"])
    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"])

    response = page_as(user)

    html = _html(response)
    assert response.status_code == 200
    assert response.context["products"] == {
        "total": 4,
        "registered": 3,
        "with_certificate": 1,
        "without_holder": 4,
    }
    assert PRODUCTS_SECTION in html
    assert "<h2>组织机构与区划</h2>" in html
    assert response.context["counties"] == 4
    assert response.context["organizations"]["生产经营主体"] == 1
    assert {p.name for p in response.context["recent_products"]} == {
        p.name for p in products.values()
    }
    assert AUDIT_SECTION not in html
    assert NO_ROLE_MESSAGE not in html


def test_county_admin_home_counts_and_lists_only_its_county(tree, products):
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])

    response = page_as(user)

    html = _html(response)
    assert response.context["products"]["total"] == 1
    assert response.context["counties"] == 1
    assert [p.name for p in response.context["recent_products"]] == ["清徐葡萄"]
    assert "沁水刺槐蜂蜜" not in html
    assert "阳曲小米" not in html


def test_city_admin_home_counts_its_counties(tree, products):
    user = user_with_role(Role.CITY_ADMIN, tree["c1"])

    response = page_as(user)

    assert response.context["products"]["total"] == 2
    assert response.context["counties"] == 2


def test_producer_home_shows_its_own_organization_and_held_products(tree, products):
    holder = OrganizationFactory.create(name="清徐县葡萄协会", division=tree["c1a"])
    ProductFactory.create(name="协会产品", certificate_holder=holder, divisions=[tree["c1a"]])
    user = user_with_role(Role.PRODUCER, tree["c1a"], organization=holder)

    response = page_as(user)

    html = _html(response)
    assert "<h2>本单位</h2>" in html
    assert "清徐县葡萄协会" in html
    assert [p.name for p in response.context["recent_products"]] == ["协会产品"]
    assert "<h2>组织机构与区划</h2>" not in html


def test_auditor_home_shows_the_audit_summary_and_no_products(tree, products):
    user = user_with_role(Role.AUDITOR, tree["p"])
    AuditLog.objects.create(action=AuditAction.LOGIN_FAILED, username="intruder")
    AuditLog.objects.create(action=AuditAction.EXPORT, username="province_admin")
    AuditLog.objects.create(action=AuditAction.PERMISSION_GRANT, username="secadmin")
    AuditLog.objects.create(
        action=AuditAction.EXPORT, username="old", at=timezone.now() - timedelta(days=2)
    )

    response = page_as(user)

    html = _html(response)
    assert AUDIT_SECTION in html
    assert PRODUCTS_SECTION not in html
    assert "products" not in response.context
    assert "清徐葡萄" not in html
    summary = response.context["audit_today"]
    # The auditor's own sign-in is today's fourth row.
    assert summary == {"total": 4, "failed_logins": 1, "exports": 1, "permission_changes": 1}
    assert reverse("portal:audit-list") in html


def test_sysadmin_home_shows_account_counts_and_no_products(tree, products):
    user = user_with_role(Role.SYSADMIN, tree["p"])
    UserFactory.create(is_active=False)

    response = page_as(user)

    html = _html(response)
    assert "<h2>账号</h2>" in html
    assert PRODUCTS_SECTION not in html
    counts = response.context["user_counts"]
    assert counts["total"] == 2
    assert counts["inactive"] == 1
    assert counts["without_role"] == 1


def test_secadmin_home_shows_the_security_section(tree):
    user = user_with_role(Role.SECADMIN, tree["p"])

    html = _html(page_as(user))

    assert "<h2>安全</h2>" in html
    assert "当前没有被锁定的账号。" in html
    assert PRODUCTS_SECTION not in html
    assert NO_ROLE_MESSAGE not in html


def test_user_without_roles_is_told_so(products):
    user = UserFactory.create()

    response = page_as(user)

    html = _html(response)
    assert response.status_code == 200
    assert NO_ROLE_MESSAGE in html
    assert PRODUCTS_SECTION not in html
    assert "清徐葡萄" not in html


def test_user_with_two_business_roles_sees_both_scopes(tree, products):
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    Membership.objects.create(
        user=user,
        organization=OrganizationFactory.create(
            kind=OrganizationKind.COUNTY_BUREAU, division=tree["c2a"]
        ),
        role=Role.COUNTY_ADMIN,
    )

    response = page_as(user)

    assert response.context["products"]["total"] == 2


# --- audit log page ----------------------------------------------------------------------------


@pytest.fixture
def auditor(tree):
    return user_with_role(Role.AUDITOR, tree["p"], username="auditor")


@pytest.fixture
def audit_rows():
    return [
        AuditLog.objects.create(
            at=_at("2024-03-01"), action=AuditAction.LOGIN, username="county_140121"
        ),
        AuditLog.objects.create(
            at=_at("2024-03-05", 23),
            action=AuditAction.EXPORT,
            username="province_admin",
            object_type="registry.giproduct",
            detail="导出地理标志产品 12 条",
        ),
        AuditLog.objects.create(
            at=_at("2024-03-10"),
            action=AuditAction.UPDATE,
            username="county_140221",
            object_type="registry.giproduct",
            object_id="7",
        ),
    ]


def _listed(response) -> list[str]:
    return [row.username for row in response.context["object_list"]]


@pytest.mark.parametrize(
    "role", [Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN, Role.SYSADMIN, Role.SECADMIN]
)
def test_audit_log_is_403_for_everyone_but_the_auditor(tree, audit_rows, role):
    user = user_with_role(role, tree["p"] if role != Role.COUNTY_ADMIN else tree["c1a"])
    assert page_as(user, AUDIT).status_code == 403


def test_audit_log_redirects_anonymous_to_login(audit_rows):
    response = page_as(None, AUDIT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_auditor_reads_the_audit_log_newest_first(auditor, audit_rows):
    response = page_as(auditor, AUDIT)

    assert response.status_code == 200
    # The auditor's own sign-in (today) comes first.
    assert _listed(response) == ["auditor", "county_140221", "province_admin", "county_140121"]
    assert "导出地理标志产品 12 条" in _html(response)


def test_audit_log_filters_by_username(auditor, audit_rows):
    response = page_as(auditor, AUDIT, username="county_")
    assert _listed(response) == ["county_140221", "county_140121"]


def test_audit_log_filters_by_action(auditor, audit_rows):
    response = page_as(auditor, AUDIT, action=AuditAction.EXPORT)
    assert _listed(response) == ["province_admin"]


def test_audit_log_filters_by_object_type(auditor, audit_rows):
    response = page_as(auditor, AUDIT, object_type="giproduct")
    assert _listed(response) == ["county_140221", "province_admin"]


def test_audit_log_date_range_includes_the_whole_last_day(auditor, audit_rows):
    response = page_as(auditor, AUDIT, since="2024-03-02", until="2024-03-05")
    assert _listed(response) == ["province_admin"]


def test_audit_log_since_alone_and_until_alone(auditor, audit_rows):
    since = page_as(auditor, AUDIT, since="2024-03-06")
    until = page_as(auditor, AUDIT, until="2024-03-04")
    assert _listed(since) == ["auditor", "county_140221"]
    assert _listed(until) == ["county_140121"]


def test_audit_log_ignores_a_malformed_date(auditor, audit_rows):
    response = page_as(auditor, AUDIT, since="03/02/2024")
    assert response.status_code == 200
    assert len(_listed(response)) == 4


def test_audit_log_without_matches_says_so(auditor, audit_rows):
    response = page_as(auditor, AUDIT, username="nobody-like-this")
    assert "没有符合条件的审计记录。" in _html(response)


def test_audit_log_is_paginated_by_fifty_and_keeps_the_filters(auditor):
    AuditLog.objects.bulk_create(
        AuditLog(action=AuditAction.EXPORT, username=f"exporter{n}") for n in range(60)
    )

    first = page_as(auditor, AUDIT, action=AuditAction.EXPORT)
    second = page_as(auditor, AUDIT, action=AuditAction.EXPORT, page=2)

    assert len(first.context["object_list"]) == 50
    assert len(second.context["object_list"]) == 10
    assert "action=export&amp;page=2" in _html(first)


def test_audit_page_shows_changed_fields_by_their_chinese_names(tree, auditor, county_admin):
    from dibiao.registry.services import product_save

    product = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    product_save(
        actor=county_admin, product=product, data={"quality_characteristics": "皮薄、粒大"}
    )
    html = _html(page_as(auditor, "/audit/", action="update"))
    assert "品质特色" in html
    assert "皮薄、粒大" in html
    assert "quality_characteristics" not in html
