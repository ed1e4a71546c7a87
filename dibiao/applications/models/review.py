"""Expert review (省级专家评审): the program's scoring scheme, the experts assigned to each
application, and their scores."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dibiao.applications.choices import AssignmentStatus
from dibiao.applications.models.application import Application
from dibiao.projects.models import Program


class ReviewScheme(models.Model):
    """The program's scoring scheme (评审方案). Editable by the province until the first expert is
    assigned; from then on every expert scores against the same criteria."""

    program = models.OneToOneField(
        Program, verbose_name="保护工程", on_delete=models.CASCADE, related_name="review_scheme"
    )
    name = models.CharField("方案名称", max_length=100)
    trimmed = models.BooleanField(
        "去掉一个最高分和一个最低分", default=False, help_text="有效评分不少于 5 份时适用。"
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "评审方案"
        verbose_name_plural = "评审方案"

    def __str__(self) -> str:
        return self.name


class ReviewCriterion(models.Model):
    """A criterion scored from 0 to `max_points`; it counts `weight` of 100 in the total."""

    scheme = models.ForeignKey(
        ReviewScheme, verbose_name="评审方案", on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("评审内容", max_length=100)
    weight = models.DecimalField("权重", max_digits=5, decimal_places=2)
    max_points = models.DecimalField("满分", max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = "评审指标"
        verbose_name_plural = "评审指标"
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "name"], name="criterion_unique_name"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(max_points__gt=0), name="criterion_max_points_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}）"


class ReviewAssignment(models.Model):
    """One expert asked to score one application."""

    application = models.ForeignKey(
        Application, verbose_name="申报", on_delete=models.CASCADE, related_name="assignments"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评审专家",
        on_delete=models.PROTECT,
        related_name="review_assignments",
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ASSIGNED,
        db_index=True,
    )
    total = models.DecimalField("加权得分", max_digits=6, decimal_places=2, null=True, blank=True)
    opinion = models.TextField("评审意见", blank=True)
    recusal_reason = models.CharField("回避原因", max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="指派人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField("指派时间", default=timezone.now)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "评审任务"
        verbose_name_plural = "评审任务"
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "expert"], name="assignment_one_per_expert"
            ),
            models.CheckConstraint(
                condition=Q(total__isnull=True) | (Q(total__gte=0) & Q(total__lte=100)),
                name="assignment_total_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.expert}"


class Score(models.Model):
    assignment = models.ForeignKey(
        ReviewAssignment, verbose_name="评审任务", on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        ReviewCriterion, verbose_name="评审指标", on_delete=models.PROTECT, related_name="scores"
    )
    points = models.DecimalField("得分", max_digits=6, decimal_places=2)
    comment = models.CharField("说明", max_length=500, blank=True)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"
        ordering = ["assignment", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "criterion"], name="score_one_per_criterion"
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_points_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.name} {self.points}"
