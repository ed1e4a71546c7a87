"""Progress dispatch (进展调度) and supervision (督导检查) of a protection program.

A `DispatchReport` is one allocation's report for one period (monthly report, quarterly or
annual summary); its scope is the allocation's implementing division. Supervision records
inspection visits to an implementing division and notices of criticism (通报) with a
rectification deadline (限期改正); their scope is the division visited or criticised.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.dispatch.choices import NoticeStatus, ReportKind, ReportStatus
from dibiao.dispatch.periods import period_end, period_label
from dibiao.projects.models import Allocation, Program, ProgramTarget

_USER = settings.AUTH_USER_MODEL


class DispatchReport(models.Model):
    """一月一调度、一季一小结、全年一总结: one allocation's report for one period."""

    allocation = models.ForeignKey(
        Allocation,
        verbose_name="资金分配",
        on_delete=models.PROTECT,
        related_name="dispatch_reports",
    )
    kind = models.CharField("类型", max_length=10, choices=ReportKind.choices)
    period_start = models.DateField("报告期", help_text="月、季度或年度的第一天。")
    due_date = models.DateField("报送截止日期")
    status = models.CharField(
        "状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    summary = models.TextField("工作进展（小结）", blank=True)
    problems = models.TextField("存在问题", blank=True)
    next_steps = models.TextField("下步打算", blank=True)
    funds_spent_to_date = models.DecimalField(
        "累计支出（元）",
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="资金台账中截至报告期末已审核的支出（已扣除已审核的冲销）。",
    )
    funds_read_at = models.DateTimeField("支出取数时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    created_by = models.ForeignKey(
        _USER, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(
        _USER,
        verbose_name="报送人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_late = models.BooleanField("迟报", default=False)
    returned_at = models.DateTimeField("退回时间", null=True, blank=True)
    returned_by = models.ForeignKey(
        _USER,
        verbose_name="退回人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    return_reason = models.CharField("退回原因", max_length=500, blank=True)

    objects: ClassVar[ScopedQuerySet[DispatchReport]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "allocation__division"

    class Meta:
        verbose_name = "进展调度报告"
        verbose_name_plural = "进展调度报告"
        ordering = ["-period_start", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "kind", "period_start"],
                name="dispatch_report_one_per_period",
                violation_error_message="该报告期已有报告。",
            ),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="dispatch_report_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.RETURNED) | ~Q(return_reason=""),
                name="dispatch_report_returned_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["kind", "period_start"], name="dispatch_report_period_idx")]

    def __str__(self) -> str:
        return f"{self.allocation.product.name} {self.period_label}{self.get_kind_display()}"

    @property
    def period_label(self) -> str:
        return period_label(self.kind, self.period_start)

    @property
    def period_end(self) -> dt.date:
        return period_end(self.kind, self.period_start)

    @property
    def is_editable(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)


class DispatchProgressLine(models.Model):
    """Progress on one of the program's implementation targets, as of the report."""

    report = models.ForeignKey(
        DispatchReport, verbose_name="报告", on_delete=models.CASCADE, related_name="lines"
    )
    target = models.ForeignKey(
        ProgramTarget, verbose_name="实施任务", on_delete=models.PROTECT, related_name="+"
    )
    progress = models.TextField("进展情况", blank=True)
    achieved = models.DecimalField(
        "累计完成", max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = "任务进展"
        verbose_name_plural = "任务进展"
        ordering = ["report", "target_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "target"], name="dispatch_line_one_per_target"
            ),
            models.CheckConstraint(
                condition=Q(achieved__isnull=True) | Q(achieved__gte=0),
                name="dispatch_line_achieved_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target.name}：{self.progress[:30]}"


class InspectionVisit(models.Model):
    """A supervision visit (督导检查) by the city or the province to an implementing division."""

    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="inspection_visits"
    )
    division = models.ForeignKey(
        Division, verbose_name="被检查地区", on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField("检查日期")
    inspectors = models.CharField("检查人员", max_length=300)
    findings = models.TextField("发现的问题")
    recommendations = models.TextField("整改建议", blank=True)
    recorded_by = models.ForeignKey(
        _USER, verbose_name="记录人", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("记录时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[InspectionVisit]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "督导检查"
        verbose_name_plural = "督导检查"
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.division.name}督导检查"


class CriticismNotice(models.Model):
    """A notice of criticism (通报) to a division that manages its part badly, with a deadline
    for rectification (限期改正). The division reports its rectification; the issuing level
    closes the notice (销号) or returns it. Overdue = open and past `rectify_by` (derived)."""

    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="criticism_notices"
    )
    division = models.ForeignKey(
        Division, verbose_name="被通报地区", on_delete=models.PROTECT, related_name="+"
    )
    inspection = models.ForeignKey(
        InspectionVisit,
        verbose_name="依据的督导检查",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    title = models.CharField("标题", max_length=200)
    issues = models.TextField("通报的问题")
    issued_on = models.DateField("通报日期")
    rectify_by = models.DateField("整改期限")
    issuer_division = models.ForeignKey(
        Division,
        verbose_name="通报单位所在地区",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="市或省：只有该级（或上级）可以验收销号。",
    )
    issued_by = models.ForeignKey(
        _USER, verbose_name="通报人", on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField("登记时间", default=timezone.now)
    status = models.CharField(
        "状态", max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.OPEN
    )
    rectification_report = models.TextField("整改情况报告", blank=True)
    rectified_on = models.DateField("整改报告日期", null=True, blank=True)
    rectified_by = models.ForeignKey(
        _USER,
        verbose_name="整改报告人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_on = models.DateField("销号日期", null=True, blank=True)
    closed_by = models.ForeignKey(
        _USER,
        verbose_name="验收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_note = models.CharField("验收意见", max_length=500, blank=True)

    objects: ClassVar[ScopedQuerySet[CriticismNotice]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "通报"
        verbose_name_plural = "通报"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rectify_by__gte=F("issued_on")),
                name="notice_deadline_not_before_issue",
                violation_error_message="整改期限不能早于通报日期。",
            ),
        ]
        indexes = [models.Index(fields=["status", "rectify_by"], name="notice_status_deadline_idx")]

    def __str__(self) -> str:
        return self.title

    def is_overdue_on(self, today: dt.date) -> bool:
        return self.status == NoticeStatus.OPEN and today > self.rectify_by

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on(timezone.localdate())

    @property
    def rectified_late(self) -> bool:
        return self.rectified_on is not None and self.rectified_on > self.rectify_by
