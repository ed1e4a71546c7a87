"""The navigation bar: a link appears only where the user's roles can act. It lives in the
portal (the top layer) because it names every app's pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from dibiao.accounts import permissions as perms
from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.disclosure.permissions import can_read_notices


def _items(user: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if user.is_authenticated:
        items.append(("首页", reverse("portal:home")))
        if perms.is_business_user(user):
            items.append(("地标产品", reverse("registry:product-list")))
        if perms.has_role(user, *DIVISION_ROLES):
            items.append(("申报评审", reverse("applications:application-list")))
            items.append(("保护工程", reverse("projects:program-list")))
            items.append(("进展调度", reverse("dispatch:home")))
        if perms.has_role(user, *DIVISION_ROLES, Role.PRODUCER):
            # Producers see their own entry, bases, logs and authorizations; government users
            # their scope's.
            items.append(("主体名录", reverse("producers:producer-list")))
            items.append(("生产基地", reverse("producers:base-list")))
            items.append(("生产日志", reverse("production:log-list")))
            items.append(("标志授权", reverse("producers:authorization-list")))
            items.append(("培训", reverse("production:training-list")))
        if perms.has_role(user, *DIVISION_ROLES, Role.PRODUCER, Role.LAB):
            items.append(("检测报告", reverse("production:report-list")))
        if perms.has_role(user, Role.EXPERT):
            items.append(("我的评审", reverse("applications:review-list")))
        if perms.is_business_user(user):
            items.append(("工作档案", reverse("archive:document-list")))
        if can_read_notices(user):
            items.append(("公示管理", reverse("disclosure:notice-list")))
        if perms.has_role(user, *DIVISION_ROLES):
            items.append(("组织机构", reverse("accounts:organization-list")))
        if perms.can_manage_accounts(user):
            items.append(("账号管理", reverse("accounts:user-list")))
        if perms.can_assign_roles(user):
            items.append(("角色授权", reverse("accounts:role-list")))
            items.append(("安全策略", reverse("accounts:security-policy")))
        if perms.can_read_audit_log(user):
            items.append(("审计日志", reverse("portal:audit-list")))
    items.append(("产品公示", reverse("registry:public-product-list")))
    items.append(("项目公示", reverse("disclosure:public-notice-list")))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    path = request.path
    home = reverse("portal:home")
    nav = [
        {
            "label": label,
            "url": url,
            "active": path == url or (url != home and path.startswith(url)),
        }
        for label, url in _items(user)
    ]
    labels = [Role(code).label for code in sorted(perms.role_codes(user))]
    return {"nav_items": nav, "role_labels": labels}
