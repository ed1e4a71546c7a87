from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dibiao.accounts import permissions as perms
from dibiao.accounts import selectors, services
from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.forms import (
    GENERIC_LOGIN_ERROR,
    LoginForm,
    MembershipGrantForm,
    OrganizationForm,
    PasswordPairForm,
    SecurityPolicyForm,
    UnlockForm,
    UserCreateForm,
)
from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.models import Membership, User
from dibiao.accounts.policy import current_policy
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponseBase:
    """django-axes calls this for a locked account: the same page (or API error) and message
    as a wrong password, so that a lockout does not reveal that the account exists."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "invalid_credentials", "message": GENERIC_LOGIN_ERROR}, status=400
        )
    form = LoginForm(request, data=request.POST or None)
    form.is_valid()  # binds the data; authentication was refused already
    form.errors.clear()
    form.add_error(None, GENERIC_LOGIN_ERROR)
    return render(request, "accounts/login.html", {"form": form})


@login_required
def password_change(request: AuthedRequest) -> HttpResponseBase:
    form = PasswordPairForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=request.user, password=form.cleaned_data["password1"]
            )
        except DomainError as exc:
            form.add_error("password1", exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "密码已修改。")
            return redirect("portal:home")
    return render(request, "accounts/password_change.html", {"form": form})


def _require(check: bool) -> None:
    if not check:
        raise PermissionDenied


@login_required
def user_list(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.can_manage_accounts(request.user) or perms.can_assign_roles(request.user))
    users = selectors.user_list(
        q=request.GET.get("q", "").strip(), active=request.GET.get("active", "")
    )
    context = {
        "params": request.GET,
        "can_manage": perms.can_manage_accounts(request.user),
        **paginate(request, users),
    }
    return render(request, "accounts/user_list.html", context)


@login_required
def user_create(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.can_manage_accounts(request.user))
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data["password1"],
                full_name=data["full_name"],
                phone=data["phone"],
                email=data["email"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"账号 {user.username} 已创建。请由安全管理员分配角色。")
            return redirect("accounts:user-list")
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(perms.can_manage_accounts(request.user))
    target = get_object_or_404(User, pk=pk)
    form = PasswordPairForm(request.POST or None)
    if request.method == "POST":
        try:
            if "active" in request.POST:
                services.user_set_active(
                    actor=request.user, user=target, active=request.POST["active"] == "1"
                )
                messages.success(request, "账号状态已更新。")
                return redirect("accounts:user-edit", pk=pk)
            if form.is_valid():
                services.user_set_password(
                    actor=request.user, user=target, password=form.cleaned_data["password1"]
                )
                messages.success(request, "密码已重置。")
                return redirect("accounts:user-edit", pk=pk)
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "accounts/user_edit.html", {"target": target, "form": form})


@login_required
def role_list(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.can_assign_roles(request.user))
    users = selectors.user_list(q=request.GET.get("q", "").strip())
    context = {
        "params": request.GET,
        "locked": selectors.locked_usernames(),
        "unlock_form": UnlockForm(),
        **paginate(request, users),
    }
    return render(request, "accounts/role_list.html", context)


@login_required
def role_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(perms.can_assign_roles(request.user))
    target = get_object_or_404(User, pk=pk)
    form = MembershipGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_grant(
                actor=request.user,
                user=target,
                organization=form.cleaned_data["organization"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "角色已授予。")
            return redirect("accounts:role-edit", pk=pk)
    memberships = selectors.membership_list_for_user(user=target)
    return render(
        request,
        "accounts/role_edit.html",
        {"target": target, "form": form, "memberships": memberships},
    )


@require_POST
@login_required
def role_revoke(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(perms.can_assign_roles(request.user))
    membership = get_object_or_404(Membership, pk=pk)
    try:
        services.membership_revoke(actor=request.user, membership=membership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "角色已撤销。")
    return redirect("accounts:role-edit", pk=membership.user_id)


@require_POST
@login_required
def account_unlock(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.can_assign_roles(request.user))
    form = UnlockForm(request.POST)
    if form.is_valid():
        cleared = services.account_unlock(
            actor=request.user, username=form.cleaned_data["username"]
        )
        messages.success(
            request, f"已解锁 {form.cleaned_data['username']}（清除 {cleared} 条失败记录）。"
        )
    else:
        messages.error(request, "请填写要解锁的用户名。")
    return redirect("accounts:role-list")


@login_required
def security_policy(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.can_assign_roles(request.user))
    form = SecurityPolicyForm(request.POST or None, instance=current_policy())
    if request.method == "POST" and form.is_valid():
        try:
            services.security_policy_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "安全策略已保存，1 分钟内在所有服务进程生效。")
            return redirect("accounts:security-policy")
    return render(request, "accounts/security_policy.html", {"form": form})


GOVERNMENT_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.COUNTY_GOV)


@login_required
def organization_list(request: AuthedRequest) -> HttpResponseBase:
    _require(perms.has_role(request.user, *GOVERNMENT_ROLES))
    params = request.GET
    organizations = selectors.organization_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        kind=params.get("kind", ""),
        division=params.get("division", ""),
    )
    if params.get("format") == "xlsx":
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORT,
            object_type="accounts.organization",
            detail=f"导出组织机构 {organizations.count()} 条；条件：{params.urlencode()}",
        )
        return xlsx_response(
            filename="组织机构",
            sheet_title="组织机构",
            headers=[
                "名称",
                "类型",
                "所在区划",
                "区划代码",
                "统一社会信用代码",
                "联系人",
                "地址",
                "状态",
            ],
            rows=(
                (
                    o.name,
                    o.get_kind_display(),
                    o.division.name,
                    o.division.code,
                    o.credit_code,
                    o.contact,
                    o.address,
                    "启用" if o.is_active else "停用",
                )
                for o in organizations.iterator(chunk_size=500)
            ),
        )
    context = {
        "params": params,
        "kinds": OrganizationKind.choices,
        "divisions": selectors.division_list_for_user(user=request.user),
        "can_edit": perms.can_edit_organizations(request.user),
        "editable_kinds": perms.editable_organization_kinds(request.user),
        **paginate(request, organizations),
    }
    return render(request, "accounts/organization_list.html", context)


@login_required
def organization_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponseBase:
    _require(perms.can_edit_organizations(request.user))
    organization = selectors.organization_get_for_user(user=request.user, pk=pk) if pk else None
    form = OrganizationForm(
        request.POST or None,
        instance=organization,
        divisions=selectors.division_list_for_user(user=request.user),
        government_kinds=perms.has_role(request.user, Role.PROVINCE_ADMIN),
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.organization_save(
                actor=request.user, organization=organization, data=form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"组织机构“{saved.name}”已保存。")
            return redirect("accounts:organization-list")
    return render(
        request, "accounts/organization_form.html", {"form": form, "organization": organization}
    )
