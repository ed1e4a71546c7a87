"""Performance evaluation (绩效考评): the province's evaluation scheme (考评方案) for a program,
evaluation rounds of a city (its counties) or of the province (every product), the scores of each
evaluated product, and appeals (申诉).

A round is scored while `draft`; publishing it locks every score (the services refuse writes and
the audit log keeps who published); from then on a score changes only when an appeal against it
is accepted, and closing the round ends the appeals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.evaluation.choices import (
    AppealStatus,
    ItemMethod,
    RoundLevel,
    RoundStatus,
    ScoringRule,
)
from dibiao.projects.models import Allocation, Program

_USER = settings.AUTH_USER_MODEL


class EvaluationScheme(models.Model):
    """考评方案: the items a program's evaluations score, set by the province. Its items can be
    changed only until a round uses it, so every round of a scheme scores the same items."""

    program = models.ForeignKey(
        Program,
        verbose_name="保护工程",
        on_delete=models.PROTECT,
        related_name="evaluation_schemes",
    )
    name = models.CharField("方案名称", max_length=100)
    notes = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        _USER,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "考评方案"
        verbose_name_plural = "考评方案"
        ordering = ["program", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"],
                name="evaluation_scheme_unique_name",
                violation_error_message="该保护工程已有同名考评方案。",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SchemeItem(models.Model):
    """One item of a scheme: `points` earned by a rule over indicators (computed) or entered by
    the evaluator with a comment (manual)."""

    scheme = models.ForeignKey(
        EvaluationScheme, verbose_name="考评方案", on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField("序号", default=0)
    name = models.CharField("考评内容", max_length=100)
    points = models.DecimalField(
        "分值", max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    method = models.CharField("评分方式", max_length=10, choices=ItemMethod.choices)
    rule = models.CharField("计分规则", max_length=20, choices=ScoringRule.choices, blank=True)
    indicators = models.JSONField("指标", default=list, blank=True)
    params = models.JSONField("规则参数", default=dict, blank=True)
    guidance = models.TextField("评分标准", blank=True)

    class Meta:
        verbose_name = "考评项目"
        verbose_name_plural = "考评项目"
        ordering = ["scheme", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "name"],
                name="scheme_item_unique_name",
                violation_error_message="同一方案中考评内容不能重名。",
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="scheme_item_points_positive"),
            models.CheckConstraint(
                condition=(Q(method=ItemMethod.MANUAL) & Q(rule=""))
                | (Q(method=ItemMethod.COMPUTED) & ~Q(rule="")),
                name="scheme_item_rule_matches_method",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.points}分）"


class EvaluationRound(models.Model):
    """An evaluation round (考评): a city's evaluation of its counties' products, or the
    province's of every product of the program. Indicators are read up to `as_of`."""

    scheme = models.ForeignKey(
        EvaluationScheme, verbose_name="考评方案", on_delete=models.PROTECT, related_name="rounds"
    )
    program = models.ForeignKey(
        Program, verbose_name="保护工程", on_delete=models.PROTECT, related_name="evaluation_rounds"
    )
    level = models.CharField("考评层级", max_length=10, choices=RoundLevel.choices)
    division = models.ForeignKey(
        Division,
        verbose_name="考评单位所在地区",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="市级考评为该市，省级综合评价为省。",
    )
    name = models.CharField("名称", max_length=200)
    as_of = models.DateField("指标取数截止日期")
    status = models.CharField(
        "状态", max_length=10, choices=RoundStatus.choices, default=RoundStatus.DRAFT
    )
    computed_at = models.DateTimeField("指标取数时间", null=True, blank=True)
    created_by = models.ForeignKey(
        _USER,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        _USER,
        verbose_name="公布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("定案时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        _USER,
        verbose_name="定案人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # The evaluating level sees its round; the evaluated see it through their evaluations
    # (selectors.round_list_for_user).
    objects: ClassVar[ScopedQuerySet[EvaluationRound]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "考评"
        verbose_name_plural = "考评"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "division", "name"],
                name="evaluation_round_unique_name",
                violation_error_message="该地区已有同名考评。",
            ),
            models.CheckConstraint(
                condition=Q(status=RoundStatus.DRAFT) | Q(published_at__isnull=False),
                name="evaluation_round_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_locked(self) -> bool:
        return self.status != RoundStatus.DRAFT


class Evaluation(models.Model):
    """One evaluated product (its allocation, implemented by a county or a city) in a round:
    its total and its rank in the round."""

    round = models.ForeignKey(
        EvaluationRound, verbose_name="考评", on_delete=models.CASCADE, related_name="evaluations"
    )
    allocation = models.ForeignKey(
        Allocation, verbose_name="资金分配（产品）", on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField("总分", max_digits=6, decimal_places=2, default=Decimal(0))
    rank = models.PositiveSmallIntegerField("排名", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[Evaluation]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "allocation__division"

    class Meta:
        verbose_name = "考评对象"
        verbose_name_plural = "考评对象"
        ordering = ["round", "rank", "allocation__product__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "allocation"], name="evaluation_one_per_allocation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.allocation.product.name}"


class ItemScore(models.Model):
    """The points of one item for one evaluated product. A computed item keeps what its rule
    gave (`computed_points`) and the indicator figures it read (`basis`); `points` is what
    counts — the rule's, the evaluator's, or an accepted appeal's."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name="考评对象", on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(
        SchemeItem, verbose_name="考评项目", on_delete=models.PROTECT, related_name="scores"
    )
    points = models.DecimalField("得分", max_digits=6, decimal_places=2, null=True, blank=True)
    computed_points = models.DecimalField(
        "计算得分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    basis = models.JSONField("计分依据", default=dict, blank=True)
    comment = models.TextField("评分说明", blank=True)
    scored_by = models.ForeignKey(
        _USER,
        verbose_name="评分人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)

    class Meta:
        verbose_name = "考评得分"
        verbose_name_plural = "考评得分"
        ordering = ["evaluation", "item__position", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "item"], name="item_score_one_per_item"),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | Q(points__gte=0),
                name="item_score_points_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name}：{self.points if self.points is not None else '未评分'}"


class Appeal(models.Model):
    """申诉: the evaluated implementing body contests one item's points with a reason; the
    evaluating level accepts it (and re-scores the item) or rejects it, with its reason."""

    score = models.ForeignKey(
        ItemScore, verbose_name="考评得分", on_delete=models.PROTECT, related_name="appeals"
    )
    reason = models.TextField("申诉理由")
    status = models.CharField(
        "状态", max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    filed_by = models.ForeignKey(
        _USER, verbose_name="申诉人", on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField("申诉时间", default=timezone.now)
    points_before = models.DecimalField("申诉时得分", max_digits=6, decimal_places=2)
    points_after = models.DecimalField(
        "调整后得分", max_digits=6, decimal_places=2, null=True, blank=True
    )
    decision = models.TextField("处理意见", blank=True)
    decided_by = models.ForeignKey(
        _USER,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[Appeal]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "score__evaluation__allocation__division"

    class Meta:
        verbose_name = "申诉"
        verbose_name_plural = "申诉"
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["score"],
                condition=Q(status=AppealStatus.PENDING),
                name="appeal_one_pending_per_score",
                violation_error_message="该项已有待处理的申诉。",
            ),
            models.CheckConstraint(
                condition=Q(status=AppealStatus.PENDING)
                | (Q(decided_at__isnull=False) & ~Q(decision="")),
                name="appeal_decided_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=AppealStatus.ACCEPTED) | Q(points_after__isnull=False),
                name="appeal_accepted_has_points",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score.item.name} 申诉（{self.get_status_display()}）"
