from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dibiao.accounts import permissions as perms
from dibiao.accounts.choices import Role
from dibiao.accounts.selectors import (
    division_list_for_user,
    locked_usernames,
    organization_counts_for_user,
    organization_list_for_user,
)
from dibiao.core.choices import AuditAction
from dibiao.core.paging import paginate
from dibiao.portal.selectors import audit_log_list, audit_summary_today, user_counts
from dibiao.registry.selectors import (
    product_counts_for_user,
    product_list_for_user,
    product_list_public,
)


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "portal/landing.html", {"products": product_list_public()[:12]})
    context: dict[str, Any] = {"sections": []}
    if perms.is_business_user(user):
        context["products"] = product_counts_for_user(user=user)
        context["recent_products"] = product_list_for_user(user=user)[:8]
        if perms.has_role(
            user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV
        ):
            context["organizations"] = organization_counts_for_user(user=user)
            context["counties"] = division_list_for_user(user=user, level="county").count()
        if perms.has_role(user, Role.PRODUCER, Role.LAB):
            context["own_organizations"] = organization_list_for_user(user=user)
    if perms.can_manage_accounts(user):
        context["user_counts"] = user_counts()
    if perms.can_assign_roles(user):
        context["locked"] = locked_usernames()
    if perms.can_read_audit_log(user):
        context["audit_today"] = audit_summary_today()
    context.update(
        can_edit_products=perms.can_edit_products(user),
        can_manage_accounts=perms.can_manage_accounts(user),
        can_assign_roles=perms.can_assign_roles(user),
        can_read_audit_log=perms.can_read_audit_log(user),
        is_government=perms.has_role(
            user, Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV
        ),
    )
    return render(request, "portal/home.html", context)


def _parse_day(value: str, *, end: bool) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not perms.can_read_audit_log(request.user):
        raise PermissionDenied
    params = request.GET
    rows = audit_log_list(
        username=params.get("username", "").strip(),
        action=params.get("action", ""),
        object_type=params.get("object_type", "").strip(),
        since=_parse_day(params.get("since", ""), end=False),
        until=_parse_day(params.get("until", ""), end=True),
    )
    context = {
        "actions": AuditAction.choices,
        "params": params,
        **paginate(request, rows, per_page=50),
    }
    return render(request, "portal/audit_list.html", context)
