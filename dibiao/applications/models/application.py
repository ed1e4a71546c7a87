"""An application of a county for one GI product in an annual program (申报), with its budget
lines, committed targets and history."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.applications.choices import ApplicationStatus
from dibiao.core.models import Division
from dibiao.projects.choices import ImplementationArea, TargetPeriod
from dibiao.projects.models import Allocation, Program
from dibiao.registry.models import GIProduct

ZERO = Decimal("0.00")

RETURNED_BY = {
    ApplicationStatus.SUBMITTED: "县人民政府",
    ApplicationStatus.CONFIRMED: "市农业农村局",
}


class Application(models.Model):
    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="applications"
    )
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="applications"
    )
    division = models.ForeignKey(
        Division,
        verbose_name="申报县",
        on_delete=models.PROTECT,
        related_name="gi_applications",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name="申报单位",
        on_delete=models.PROTECT,
        related_name="gi_applications",
        help_text="县（市、区）农业农村局。",
    )
    plan = models.TextField("实施方案")
    requested_amount = models.DecimalField(
        "申请补助资金（元）", max_digits=14, decimal_places=2, default=ZERO
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    returned_from = models.CharField(
        "退回环节",
        max_length=20,
        choices=ApplicationStatus.choices,
        blank=True,
        help_text="最近一次退回时所处的状态：已提交＝县政府退回，县政府已确认＝市退回。",
    )
    score = models.DecimalField("评审得分", max_digits=6, decimal_places=2, null=True, blank=True)
    score_count = models.PositiveSmallIntegerField("计分专家数", null=True, blank=True)
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)
    funding_amount = models.DecimalField(
        "确定补助资金（元）", max_digits=14, decimal_places=2, null=True, blank=True
    )
    allocation = models.OneToOneField(
        Allocation,
        verbose_name="资金分配",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_at = models.DateTimeField("确定时间", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[Application]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "申报"
        verbose_name_plural = "申报"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "product"],
                condition=~Q(status=ApplicationStatus.WITHDRAWN),
                name="application_one_per_product",
                violation_error_message="该产品在本年度保护工程中已有申报。",
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gte=0), name="application_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(funding_amount__isnull=True) | Q(funding_amount__gt=0),
                name="application_funding_positive",
            ),
        ]
        indexes = [models.Index(fields=["program", "status"])]

    def __str__(self) -> str:
        return f"{self.program.year}年 {self.product.name} 申报"

    @property
    def returned_by(self) -> str:
        """Who returned it last time (县人民政府 or 市农业农村局), for the page."""
        return (
            RETURNED_BY.get(ApplicationStatus(self.returned_from), "") if self.returned_from else ""
        )


class BudgetLine(models.Model):
    """One line of the application's budget, by implementation content (实施内容)."""

    application = models.ForeignKey(
        Application, verbose_name="申报", on_delete=models.CASCADE, related_name="budget_lines"
    )
    area = models.CharField("实施内容", max_length=20, choices=ImplementationArea.choices)
    description = models.CharField("建设内容", max_length=300)
    amount = models.DecimalField("金额（元）", max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "预算明细"
        verbose_name_plural = "预算明细"
        ordering = ["application", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()} {self.description} {self.amount}"


class ApplicationTarget(models.Model):
    """A target the county commits to: a copy of the program's target with the county's value,
    never below the program's (the minimum is kept as it was when copied)."""

    application = models.ForeignKey(
        Application, verbose_name="申报", on_delete=models.CASCADE, related_name="targets"
    )
    code = models.CharField("代码", max_length=40)
    name = models.CharField("指标", max_length=100)
    area = models.CharField("实施内容", max_length=20, choices=ImplementationArea.choices)
    period = models.CharField("周期", max_length=10, choices=TargetPeriod.choices)
    unit = models.CharField("单位", max_length=10)
    minimum = models.DecimalField("工程最低值", max_digits=10, decimal_places=2)
    value = models.DecimalField("承诺值", max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = "申报指标"
        verbose_name_plural = "申报指标"
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "code"], name="application_target_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(value__gte=models.F("minimum")),
                name="application_target_not_below_minimum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.value}{self.unit}"


class ApplicationEvent(models.Model):
    """One step of the application's history: every transition writes one (and an audit row)."""

    application = models.ForeignKey(
        Application, verbose_name="申报", on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(
        "原状态", max_length=20, choices=ApplicationStatus.choices, blank=True
    )
    to_status = models.CharField("新状态", max_length=20, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="办理人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    role = models.CharField("办理角色", max_length=20, choices=Role.choices, blank=True)
    comment = models.TextField("意见", blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = "申报办理记录"
        verbose_name_plural = "申报办理记录"
        ordering = ["application", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '新建'} → {self.get_to_status_display()}"
