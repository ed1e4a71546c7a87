"""Account, role and security-policy changes. Each is atomic and audited."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.choices import (
    ADMIN_ROLES,
    ROLE_DIVISION_LEVEL,
    ROLE_ORGANIZATION_KINDS,
    SELF_SERVICE_ORGANIZATION_KINDS,
    Role,
)
from dibiao.accounts.errors import AccountsError
from dibiao.accounts.models import Membership, Organization, SecurityPolicy, User
from dibiao.accounts.permissions import (
    can_assign_roles,
    can_edit_organizations,
    can_manage_accounts,
    has_role,
)
from dibiao.accounts.policy import forget_policy
from dibiao.accounts.scoping import forget_scope, scope_for
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError


def _password_errors(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountsError("weak_password", "；".join(exc.messages)) from exc


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    full_name: str = "",
    phone: str = "",
    email: str = "",
    password_hash: str = "",
) -> User:
    """Create an account (no roles: roles are the security administrator's).

    `password_hash`, when given, is `make_password(password)` computed once by a bulk loader, so
    that forty demo accounts do not cost forty slow PBKDF2 runs.
    """
    if actor is not None and not can_manage_accounts(actor):
        raise ForbiddenError("只有系统管理员可以创建账号。")
    username = username.strip()
    if not username:
        raise AccountsError("invalid_username", "用户名不能为空。")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountsError("username_taken", f"用户名“{username}”已被使用。")
    user = User(username=username, full_name=full_name, phone=phone, email=email)
    _password_errors(password, user)
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=user, changes={"after": model_snapshot(user)}
    )
    return user


def _check_account_manager(actor: User | None, user: User) -> None:
    """The system administrator manages accounts, but not the accounts of the other two
    administrators: otherwise it could take over the security or audit duty (三权分立).
    `actor=None` is an operator's management command."""
    if actor is None:
        return
    if not can_manage_accounts(actor):
        raise ForbiddenError("只有系统管理员可以管理账号。")
    if (
        user.pk != actor.pk
        and Membership.objects.filter(user=user, role__in=[Role.SECADMIN, Role.AUDITOR]).exists()
    ):
        raise AccountsError(
            "separation_of_duties",
            "三权分立：系统管理员不能停用安全管理员或审计管理员的账号，也不能重置其密码。",
            status=403,
        )


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    _check_account_manager(actor, user)
    if actor is not None and user.pk == actor.pk and not active:
        raise AccountsError("cannot_disable_self", "不能停用自己的账号。")
    user = User.objects.select_for_update().get(pk=user.pk)
    before = model_snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=user,
        changes=snapshot_diff(before, model_snapshot(user)),
        detail="启用账号" if active else "停用账号",
    )
    return user


@transaction.atomic
def user_set_password(*, actor: User | None, user: User, password: str) -> User:
    if actor is None or actor.pk != user.pk:
        _check_account_manager(actor, user)
    _password_errors(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=user, detail="设置密码")
    return user


def _check_separation(*, user: User, role: str) -> None:
    held = set(Membership.objects.filter(user=user).values_list("role", flat=True))
    if role in held:
        return
    if role in ADMIN_ROLES and held & ADMIN_ROLES:
        existing = "、".join(Role(r).label for r in sorted(held & ADMIN_ROLES))
        raise AccountsError(
            "separation_of_duties",
            f"三权分立：该账号已是{existing}，不能再兼任{Role(role).label}。"
            "系统管理员、安全管理员、审计管理员必须由不同账号担任。",
        )
    if role in ADMIN_ROLES and held:
        raise AccountsError(
            "separation_of_duties",
            f"三权分立：{Role(role).label}账号不能同时持有业务角色，请使用单独的账号。",
        )
    if held & ADMIN_ROLES:
        existing = "、".join(Role(r).label for r in sorted(held & ADMIN_ROLES))
        raise AccountsError(
            "separation_of_duties",
            f"三权分立：该账号是{existing}，不能再持有业务角色，请使用单独的账号。",
        )


@transaction.atomic
def membership_grant(
    *, actor: User | None, user: User, organization: Organization, role: str
) -> Membership:
    if actor is not None and not can_assign_roles(actor):
        raise ForbiddenError("只有安全管理员可以分配角色。")
    if role not in Role.values:
        raise AccountsError("invalid_role", f"未知角色：{role}。")
    # Serialise grants to one user, so two concurrent grants cannot both pass the
    # separation-of-duties check.
    user = User.objects.select_for_update().get(pk=user.pk)
    if organization.kind not in ROLE_ORGANIZATION_KINDS[role]:
        raise AccountsError(
            "role_organization_mismatch",
            f"{Role(role).label}不能设在“{organization.get_kind_display()}”类型的机构中。",
        )
    level = ROLE_DIVISION_LEVEL.get(role)
    if level and organization.division.level != level:
        raise AccountsError(
            "role_division_mismatch",
            f"{Role(role).label}所在机构应位于{DivisionLevel(level).label}级行政区划。",
        )
    _check_separation(user=user, role=role)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"granted_by": actor}
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.PERMISSION_GRANT,
            obj=user,
            changes={"after": {"role": role, "organization": organization.pk}},
            detail=f"授予{Role(role).label}（{organization.name}）",
        )
    forget_scope(user)
    return membership


@transaction.atomic
def membership_revoke(*, actor: User, membership: Membership) -> None:
    if actor is not None and not can_assign_roles(actor):
        raise ForbiddenError("只有安全管理员可以撤销角色。")
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .get(pk=membership.pk)
    )
    if membership.user_id == actor.pk and membership.role == Role.SECADMIN:
        raise AccountsError("cannot_revoke_self", "不能撤销自己的安全管理员角色。")
    user = membership.user
    audit_record(
        actor=actor,
        action=AuditAction.PERMISSION_REVOKE,
        obj=user,
        changes={"before": {"role": membership.role, "organization": membership.organization_id}},
        detail=f"撤销{membership.get_role_display()}（{membership.organization.name}）",
    )
    membership.delete()
    forget_scope(user)


@transaction.atomic
def account_unlock(*, actor: User, username: str) -> int:
    if actor is not None and not can_assign_roles(actor):
        raise ForbiddenError("只有安全管理员可以解锁账号。")
    cleared = int(axes_reset(username=username) or 0)
    audit_record(
        actor=actor,
        action=AuditAction.UNLOCK,
        object_type="accounts.user",
        object_id=username,
        object_repr=username,
        detail=f"清除 {cleared} 条失败登录记录",
    )
    return cleared


@transaction.atomic
def security_policy_update(*, actor: User, **values: Any) -> SecurityPolicy:
    if actor is not None and not can_assign_roles(actor):
        raise ForbiddenError("只有安全管理员可以修改安全策略。")
    policy, _ = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)
    before = model_snapshot(policy, exclude=frozenset({"updated_at"}))
    allowed = {"failure_limit", "lockout_minutes", "idle_timeout_minutes", "password_min_length"}
    unknown = set(values) - allowed
    if unknown:
        raise AccountsError("invalid_field", f"不能修改：{'、'.join(sorted(unknown))}。")
    for name, value in values.items():
        setattr(policy, name, value)
    policy.updated_at = timezone.now()
    try:
        policy.full_clean()
    except ValidationError as exc:
        raise AccountsError("invalid_policy", "；".join(exc.messages)) from exc
    policy.save()
    audit_record(
        actor=actor,
        action=AuditAction.POLICY_CHANGE,
        obj=policy,
        changes=snapshot_diff(before, model_snapshot(policy, exclude=frozenset({"updated_at"}))),
    )
    transaction.on_commit(forget_policy)
    return policy


ORGANIZATION_FIELDS = (
    "name",
    "kind",
    "division",
    "credit_code",
    "contact",
    "phone",
    "address",
    "is_active",
)


@transaction.atomic
def organization_save(
    *, actor: User | None, organization: Organization | None = None, data: dict[str, Any]
) -> Organization:
    """Create (organization=None) or update an organization inside the actor's scope."""
    if actor is not None and not can_edit_organizations(actor):
        raise ForbiddenError("没有维护组织机构的权限。")
    creating = organization is None
    if organization is None:
        organization = Organization()
        before: dict[str, Any] = {}
    else:
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        if actor is not None and organization.division_id not in scope_for(actor).division_ids:
            raise NotFoundError("未找到该组织机构。")
        before = model_snapshot(organization)
    original_kind = None if creating else organization.kind
    for name in ORGANIZATION_FIELDS:
        if name in data:
            setattr(organization, name, data[name])
    # Government bodies (and their activation: deactivating one removes its members' scope) are
    # the province's to set up and change; others keep to producers, labs and other bodies,
    # both as the kind they had and the kind they would get.
    kinds = {organization.kind, original_kind} - {None}
    if (
        actor is not None
        and not kinds <= SELF_SERVICE_ORGANIZATION_KINDS
        and not has_role(actor, Role.PROVINCE_ADMIN)
    ):
        raise AccountsError(
            "organization_kind_not_allowed",
            "只有省级管理员可以设立或修改政府部门类机构。",
            status=403,
        )
    if actor is not None and organization.division_id not in scope_for(actor).division_ids:
        raise AccountsError("division_out_of_scope", "所选行政区划不在您的管辖范围内。")
    try:
        organization.full_clean()
    except ValidationError as exc:
        raise AccountsError("invalid_organization", "；".join(exc.messages)) from exc
    organization.save()
    after = model_snapshot(organization)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        obj=organization,
        changes={"after": after} if creating else snapshot_diff(before, after),
    )
    return organization
