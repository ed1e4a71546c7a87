from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from dibiao.accounts import permissions as perms
from dibiao.accounts.choices import Role


def roles(request: HttpRequest) -> dict[str, Any]:
    """Navigation for the user's roles: a link appears only where the role can act."""
    user = request.user
    path = request.path
    items: list[tuple[str, str]] = []
    if user.is_authenticated:
        items.append(("首页", reverse("portal:home")))
        if perms.is_business_user(user):
            items.append(("地标产品", reverse("registry:product-list")))
        if perms.has_role(
            user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV
        ):
            items.append(("组织机构", reverse("accounts:organization-list")))
        if perms.can_manage_accounts(user):
            items.append(("账号管理", reverse("accounts:user-list")))
        if perms.can_assign_roles(user):
            items.append(("角色授权", reverse("accounts:role-list")))
            items.append(("安全策略", reverse("accounts:security-policy")))
        if perms.can_read_audit_log(user):
            items.append(("审计日志", reverse("portal:audit-list")))
    items.append(("产品公示", reverse("registry:public-product-list")))
    home = reverse("portal:home")
    nav = [
        {
            "label": label,
            "url": url,
            "active": path == url or (url != home and path.startswith(url)),
        }
        for label, url in items
    ]
    labels = [Role(code).label for code in sorted(perms.role_codes(user))]
    return {"nav_items": nav, "role_labels": labels}
