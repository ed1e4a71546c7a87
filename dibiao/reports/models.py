from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.choices import JobStatus
from dibiao.core.models import Division
from dibiao.projects.models import Allocation, Program
from dibiao.reports.choices import ReportFormat, ReportJobKind


class ReportJob(models.Model):
    """报表任务: one report of a program (annual or quarterly summary, monthly dispatch table) in
    Word or Excel, made by a background task; the page polls `done` / `total` for its progress.

    The scope is the one it was requested in, kept with the job so that the file holds what the
    requester could see then: `division` (the top of the requester's scope) and the
    `allocations` it could see, or the whole program (`whole_program`, a provincial user). Who
    may see the job follows `division` (`restrict`) and its requester."""

    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="report_jobs"
    )
    kind = models.CharField("报表", max_length=20, choices=ReportJobKind.choices)
    period = models.PositiveSmallIntegerField(
        "季度或月份", null=True, blank=True, help_text="季度小结为季度（1–4），调度表为月份（1–12）"
    )
    format = models.CharField("格式", max_length=10, choices=ReportFormat.choices)
    division = models.ForeignKey(
        Division, verbose_name="范围", on_delete=models.PROTECT, related_name="+"
    )
    whole_program = models.BooleanField("全部产品", default=False)
    allocations = models.ManyToManyField(
        Allocation, verbose_name="产品（资金分配）", blank=True, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveIntegerField("总步数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    file = models.FileField("文件", upload_to="reports/", max_length=300, blank=True)
    error = models.TextField("错误", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[ReportJob]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "报表任务"
        verbose_name_plural = "报表任务"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["division", "-created_at"], name="report_job_division_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=ReportJobKind.ANNUAL) & Q(period__isnull=True))
                | (Q(kind=ReportJobKind.QUARTERLY) & Q(period__gte=1) & Q(period__lte=4))
                | (Q(kind=ReportJobKind.MONTHLY) & Q(period__gte=1) & Q(period__lte=12)),
                name="report_job_period_fits_kind",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="report_job_done_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_format_display()}）"

    @property
    def title(self) -> str:
        year = self.program.year
        if self.kind == ReportJobKind.QUARTERLY:
            return f"{year}年第{self.period}季度工作小结"
        if self.kind == ReportJobKind.MONTHLY:
            return f"{year}年{self.period}月进展调度表"
        return f"{year}年度工作总结"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def is_pending(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)
