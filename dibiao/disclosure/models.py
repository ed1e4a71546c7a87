from __future__ import annotations

import datetime as dt
import secrets
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.disclosure.choices import NoticeKind, NoticePhase, NoticeStatus, ObjectionStatus
from dibiao.disclosure.contacts import validate_contact
from dibiao.registry.models import GIProduct

# Notice periods are dates in Beijing time whatever the server's or a visitor's zone: a notice
# that ends on 6 June is open until midnight in Shanxi.
DISCLOSURE_TIMEZONE = ZoneInfo("Asia/Shanghai")
OBJECTION_MIN_LENGTH = 10
OBJECTION_MAX_LENGTH = 2000


def local_today() -> dt.date:
    return timezone.localtime(timezone.now(), DISCLOSURE_TIMEZONE).date()


class NoticeQuerySet(ScopedQuerySet["Notice"]):
    def upcoming(self, today: dt.date) -> NoticeQuerySet:
        return self.filter(status=NoticeStatus.PUBLISHED, start_date__gt=today)

    def open(self, today: dt.date) -> NoticeQuerySet:
        return self.filter(
            status=NoticeStatus.PUBLISHED, start_date__lte=today, end_date__gte=today
        )

    def archived(self, today: dt.date) -> NoticeQuerySet:
        return self.filter(status=NoticeStatus.PUBLISHED, end_date__lt=today)

    def in_phase(self, phase: str, today: dt.date) -> NoticeQuerySet:
        if phase == NoticePhase.UPCOMING:
            return self.upcoming(today)
        if phase == NoticePhase.OPEN:
            return self.open(today)
        if phase == NoticePhase.ARCHIVED:
            return self.archived(today)
        if phase in (NoticePhase.DRAFT, NoticePhase.WITHDRAWN):
            return self.filter(status=phase)
        return self


class Notice(models.Model):
    """A public notice (公示) of the province or a county: selection results, fund arrangements,
    implementation progress. Open to objections between its start and end dates."""

    division = models.ForeignKey(
        Division,
        verbose_name="发布区划",
        on_delete=models.PROTECT,
        related_name="notices",
        help_text="发布公示的省或县。",
    )
    publisher = models.ForeignKey(
        Organization, verbose_name="发布单位", on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField("公示类型", max_length=30, choices=NoticeKind.choices)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("公示内容")
    product = models.ForeignKey(
        GIProduct,
        verbose_name="相关地理标志产品",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    start_date = models.DateField("公示开始日期", null=True, blank=True)
    end_date = models.DateField("公示结束日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    withdraw_reason = models.TextField("撤回原因", blank=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    settlement = models.TextField("异议处理结果", blank=True)
    settled_at = models.DateTimeField("处理结果记录时间", null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理结果记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[NoticeQuerySet] = NoticeQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "公示"
        verbose_name_plural = "公示"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="notice_end_not_before_start",
                violation_error_message="公示结束日期不能早于开始日期。",
            ),
            # Only a draft may lack its period: the public phases are computed from it.
            models.CheckConstraint(
                condition=models.Q(status=NoticeStatus.DRAFT)
                | models.Q(start_date__isnull=False, end_date__isnull=False),
                name="notice_published_has_period",
                violation_error_message="发布的公示须有开始和结束日期。",
            ),
        ]
        indexes = [
            # The public lists: published notices by period.
            models.Index(fields=["status", "end_date", "start_date"], name="notice_status_period"),
        ]

    def __str__(self) -> str:
        return self.title

    def phase(self, today: dt.date | None = None) -> NoticePhase:
        if self.status == NoticeStatus.DRAFT:
            return NoticePhase.DRAFT
        if self.status == NoticeStatus.WITHDRAWN:
            return NoticePhase.WITHDRAWN
        if self.start_date is None or self.end_date is None:  # excluded by a DB check
            return NoticePhase.DRAFT
        today = today or local_today()
        if today < self.start_date:
            return NoticePhase.UPCOMING
        if today > self.end_date:
            return NoticePhase.ARCHIVED
        return NoticePhase.OPEN

    @property
    def current_phase(self) -> NoticePhase:
        """For templates, which cannot pass today."""
        return self.phase()

    @property
    def is_settled(self) -> bool:
        return self.settled_at is not None


def new_receipt() -> str:
    return secrets.token_urlsafe(16)


class Objection(models.Model):
    """An objection (异议) submitted by a member of the public while a notice is open."""

    notice = models.ForeignKey(
        Notice, verbose_name="公示", on_delete=models.PROTECT, related_name="objections"
    )
    name = models.CharField("姓名或单位", max_length=50)
    contact = models.CharField(
        "联系方式",
        max_length=100,
        validators=[validate_contact],
        help_text="手机号、带区号的固定电话或电子邮箱，仅用于答复，不会公开。",
    )
    text = models.TextField(
        "异议内容",
        validators=[
            MinLengthValidator(OBJECTION_MIN_LENGTH, f"异议内容至少 {OBJECTION_MIN_LENGTH} 个字。"),
            MaxLengthValidator(
                OBJECTION_MAX_LENGTH, f"异议内容不能超过 {OBJECTION_MAX_LENGTH} 个字。"
            ),
        ],
    )
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    client_ip = models.GenericIPAddressField("提交地址", null=True, blank=True)
    # The objector's private link to the answer: unguessable, shown once after submitting.
    receipt = models.CharField("回执号", max_length=32, unique=True, default=new_receipt)
    status = models.CharField(
        "状态", max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.PENDING
    )
    answer = models.TextField("答复", blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[ScopedQuerySet[Objection]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "notice__division"

    class Meta:
        verbose_name = "异议"
        verbose_name_plural = "异议"
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ObjectionStatus.PENDING) | ~models.Q(answer=""),
                name="objection_answered_has_answer",
                violation_error_message="已答复的异议须有答复内容。",
            ),
        ]
        indexes = [
            # The rate limits count an address's recent objections, per notice and overall.
            models.Index(fields=["client_ip", "submitted_at"], name="objection_ip_time"),
            models.Index(fields=["notice", "status"], name="objection_notice_status"),
        ]

    def __str__(self) -> str:
        return f"异议 {self.pk}（{self.notice_id} 号公示）"


class ObjectionRateLock(models.Model):
    """One row per client address, locked while that address's recent objections are counted
    and the new one is written. Without it two concurrent submissions from one address on
    PostgreSQL could both count two and both be written; with it they queue. (SQLite already
    serialises writers: its transactions start IMMEDIATE.)"""

    client_ip = models.CharField("提交地址", max_length=45, unique=True)

    class Meta:
        verbose_name = "异议提交频率锁"
        verbose_name_plural = "异议提交频率锁"

    def __str__(self) -> str:
        return self.client_ip
