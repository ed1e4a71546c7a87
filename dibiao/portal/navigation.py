"""The navigation bar: a link appears only where the user's roles can act. It lives in the
portal (the top layer) because it names every app's pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from dibiao.accounts import permissions as perms
from dibiao.accounts.choices import DIVISION_ROLES, Role
from dibiao.brand.permissions import can_view_brand, can_view_stories
from dibiao.disclosure.permissions import can_read_notices
from dibiao.evaluation.permissions import can_view_evaluation
from dibiao.gimap.permissions import can_view_map


def _items(user: Any) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    if user.is_authenticated:
        items.append(("首页", reverse("portal:home")))
        if perms.is_business_user(user):
            items.append(("地标产品", reverse("registry:product-list")))
        if can_view_map(user):
            items.append(("一张图", reverse("gimap:map-province")))
        if perms.has_role(user, *DIVISION_ROLES):
            items.append(("申报评审", reverse("applications:application-list")))
            items.append(("保护工程", reverse("projects:program-list")))
            items.append(("进展调度", reverse("dispatch:home")))
        if can_view_evaluation(user):
            items.append(("驾驶舱", reverse("reports:dashboard")))
            items.append(("绩效考评", reverse("evaluation:home")))
            items.append(("统计报表", reverse("reports:job-list")))
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
        if perms.has_role(user, *DIVISION_ROLES, Role.PRODUCER):
            items.append(("批次", reverse("trace:batch-list")))
            items.append(("追溯事件", reverse("trace:event-list")))
            items.append(("标签码", reverse("trace:issuance-list")))
            items.append(("合格证", reverse("trace:certificate-list")))
            items.append(("数据导出", reverse("trace:export-list")))
        if perms.has_role(user, *DIVISION_ROLES):
            items.append(("防伪预警", reverse("trace:alert-list")))
        if can_view_brand(user):
            items.append(("媒体报道", reverse("brand:report-list")))
            items.append(("宣传片", reverse("brand:video-list")))
            items.append(("展会推介", reverse("brand:exhibition-list")))
        if can_view_stories(user):
            # A producer drafts the stories of the products whose certificate it holds.
            items.append(("历史文化故事", reverse("brand:story-list")))
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
            items.append(("账本安全", reverse("ledger:console")))
        if perms.can_read_audit_log(user):
            items.append(("审计日志", reverse("portal:audit-list")))
    items.append(("产品公示", reverse("registry:public-product-list")))
    items.append(("地标地图", reverse("gimap:public-map-province")))
    items.append(("项目公示", reverse("disclosure:public-notice-list")))
    items.append(("账本核验", reverse("ledger:home")))
    return items


# Links shown under one menu when the user has more than one of them (a county bureau's bar
# would otherwise wrap over four lines); a group of one is shown as its plain link.
GROUPS: dict[str, str] = {
    "申报评审": "保护工程",
    "保护工程": "保护工程",
    "进展调度": "保护工程",
    "绩效考评": "保护工程",
    "公示管理": "保护工程",
    "工作档案": "保护工程",
    "主体名录": "生产主体",
    "生产基地": "生产主体",
    "标志授权": "生产主体",
    "生产日志": "生产档案",
    "培训": "生产档案",
    "检测报告": "生产档案",
    "批次": "追溯与标识",
    "追溯事件": "追溯与标识",
    "标签码": "追溯与标识",
    "合格证": "追溯与标识",
    "数据导出": "追溯与标识",
    "防伪预警": "追溯与标识",
    "媒体报道": "品牌建设",
    "宣传片": "品牌建设",
    "展会推介": "品牌建设",
    "历史文化故事": "品牌建设",
    "组织机构": "系统管理",
    "账号管理": "系统管理",
    "角色授权": "系统管理",
    "安全策略": "系统管理",
    "账本安全": "系统管理",
    "产品公示": "公开信息",
    "地标地图": "公开信息",
    "项目公示": "公开信息",
    "账本核验": "公开信息",
}


def nav_entries(items: list[tuple[str, str]], path: str, home: str) -> list[dict[str, Any]]:
    """The bar's entries in order of first appearance: links, and groups with their links."""
    # The page belongs to the longest link it is under: /ledger/admin/ is the console's, not
    # the public /ledger/'s.
    under = [url for _, url in items if path == url or (url != home and path.startswith(url))]
    current = max(under, key=len, default=None)
    links: list[dict[str, Any]] = [
        {"label": label, "url": url, "active": url == current} for label, url in items
    ]
    sizes: dict[str, int] = {}
    for link in links:
        group = GROUPS.get(link["label"])
        if group:
            sizes[group] = sizes.get(group, 0) + 1
    entries: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {}
    for link in links:
        group = GROUPS.get(link["label"])
        if not group or sizes[group] < 2:
            entries.append(link)
            continue
        if group not in groups:
            groups[group] = {"label": group, "children": [], "active": False}
            entries.append(groups[group])
        groups[group]["children"].append(link)
        groups[group]["active"] = groups[group]["active"] or link["active"]
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    nav = nav_entries(_items(user), request.path, reverse("portal:home"))
    labels = [Role(code).label for code in sorted(perms.role_codes(user))]
    return {"nav_items": nav, "role_labels": labels}
