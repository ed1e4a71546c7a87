from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division


class User(AbstractUser):
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_codes(self) -> frozenset[str]:
        # Memberships are read once per request object; views and templates ask often.
        cached: frozenset[str] | None = getattr(self, "_role_codes", None)
        if cached is None:
            # A deactivated organization's members lose its roles as well as its scope.
            cached = frozenset(
                self.memberships.filter(organization__is_active=True).values_list("role", flat=True)
            )
            self._role_codes = cached
        return cached

    @property
    def audit_role(self) -> str:
        return ",".join(sorted(self.role_codes))


class Organization(models.Model):
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=OrganizationKind.choices)
    division = models.ForeignKey(
        Division,
        verbose_name="所在行政区划",
        on_delete=models.PROTECT,
        related_name="organizations",
    )
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    contact = models.CharField("联系人", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[Organization]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"
    scope_organization_lookup: ClassVar[str] = "pk"

    class Meta:
        verbose_name = "组织机构"
        verbose_name_plural = "组织机构"
        ordering = ["division__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["division", "name"], name="organization_unique_name_in_division"
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="organization_unique_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role held by a user in an organization; the organization's division is the scope."""

    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="组织机构", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField("授予时间", default=timezone.now)
    granted_by = models.ForeignKey(
        User,
        verbose_name="授予人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "角色成员"
        verbose_name_plural = "角色成员"
        ordering = ["user__username", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization", "role"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class SecurityPolicy(models.Model):
    """The security administrator's login policy; one row (pk=1)."""

    failure_limit = models.PositiveSmallIntegerField(
        "连续登录失败锁定次数", default=5, validators=[MinValueValidator(3), MaxValueValidator(10)]
    )
    lockout_minutes = models.PositiveSmallIntegerField(
        "锁定时长（分钟）", default=30, validators=[MinValueValidator(5), MaxValueValidator(1440)]
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        "空闲超时（分钟）", default=30, validators=[MinValueValidator(5), MaxValueValidator(120)]
    )
    password_min_length = models.PositiveSmallIntegerField(
        "密码最小长度", default=8, validators=[MinValueValidator(8), MaxValueValidator(32)]
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "安全策略"
        verbose_name_plural = "安全策略"

    def __str__(self) -> str:
        return "安全策略"
