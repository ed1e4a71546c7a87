"""Production archives (生产档案): production logs after farmOS's log model, the national lists
of banned and restricted inputs, training sessions, and quality tests with grading."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.choices import (
    InputCategory,
    LogKind,
    LogStatus,
    RestrictionKind,
    TestItemCategory,
    TestKind,
    TestResult,
)
from dibiao.registry.models import GIProduct


class RestrictionList(models.Model):
    """A published list of banned or restricted inputs, kept as data with its source and date
    (e.g. 农业农村部《禁限用农药名录》)."""

    title = models.CharField("名录名称", max_length=200)
    source = models.CharField("发布机关与文号", max_length=300)
    published_on = models.DateField("发布日期")
    url = models.URLField("来源链接", blank=True)
    loaded_at = models.DateTimeField("导入时间", default=timezone.now)

    class Meta:
        verbose_name = "禁限用投入品名录"
        verbose_name_plural = "禁限用投入品名录"
        ordering = ["-published_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["title", "published_on"], name="restrictionlist_unique")
        ]

    def __str__(self) -> str:
        return self.title


class RestrictedSubstance(models.Model):
    """One substance of a list. A banned one may not be used at all; a restricted one may not be
    used on the product categories in `forbidden_categories` (comma-separated ProductCategory
    codes), as the list's `scope` text says."""

    restriction_list = models.ForeignKey(
        RestrictionList, verbose_name="名录", on_delete=models.CASCADE, related_name="substances"
    )
    name = models.CharField("通用名", max_length=100)
    aliases = models.CharField("别名", max_length=300, blank=True, help_text="以顿号或逗号分隔")
    kind = models.CharField("类别", max_length=20, choices=RestrictionKind.choices)
    input_category = models.CharField(
        "投入品类别", max_length=20, choices=InputCategory.choices, default=InputCategory.PESTICIDE
    )
    scope = models.CharField("禁止使用范围", max_length=300, blank=True)
    forbidden_categories = models.CharField("禁止使用的产品品类", max_length=200, blank=True)

    class Meta:
        verbose_name = "禁限用物质"
        verbose_name_plural = "禁限用物质"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["restriction_list", "name"], name="restrictedsubstance_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProductionLog(models.Model):
    """生产日志. One row per log of any kind; an input log also fills the input fields, and
    `harvest_allowed_from` (the day the pre-harvest interval ends) is kept for the harvest check."""

    kind = models.CharField("日志类型", max_length=20, choices=LogKind.choices)
    occurred_at = models.DateTimeField("时间")
    base = models.ForeignKey(
        ProductionBase, verbose_name="基地", on_delete=models.PROTECT, related_name="logs"
    )
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="logs"
    )
    title = models.CharField("事项", max_length=100)
    operator = models.CharField("操作人", max_length=50)
    quantity = models.DecimalField("数量", max_digits=14, decimal_places=3, null=True, blank=True)
    unit = models.CharField("单位", max_length=20, blank=True)
    notes = models.TextField("备注", blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=LogStatus.choices, default=LogStatus.DONE
    )
    # Input logs (投入品使用记录).
    input_category = models.CharField(
        "投入品类别", max_length=20, choices=InputCategory.choices, blank=True
    )
    input_name = models.CharField("投入品名称", max_length=100, blank=True)
    registration_number = models.CharField("登记证号", max_length=50, blank=True)
    active_ingredient = models.CharField("有效成分", max_length=200, blank=True)
    dose = models.CharField("用量", max_length=50, blank=True, help_text="如 30 毫升/亩")
    applied_area_mu = models.DecimalField(
        "施用面积（亩）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    safety_interval_days = models.PositiveSmallIntegerField(
        "安全间隔期（天）", null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    harvest_allowed_from = models.DateField("最早可采收日期", null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("记录时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[ProductionLog]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "base__producer__division"
    scope_organization_lookup: ClassVar[str] = "base__producer__organization"

    class Meta:
        verbose_name = "生产日志"
        verbose_name_plural = "生产日志"
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="input") | ~models.Q(input_name=""),
                name="log_input_named",
                violation_error_message="投入品使用记录须填写投入品名称。",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__isnull=True) | models.Q(quantity__gte=0),
                name="log_quantity_not_negative",
                violation_error_message="数量不能为负数。",
            ),
        ]
        indexes = [
            models.Index(fields=["base", "kind", "occurred_at"]),
            models.Index(fields=["product", "occurred_at"]),
            models.Index(fields=["base", "harvest_allowed_from"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.title}"

    @property
    def day(self) -> dt.date:
        return timezone.localtime(self.occurred_at).date()


class TrainingSession(models.Model):
    """培训: one session on one product; person-times are the attendee counts summed."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="trainings"
    )
    division = models.ForeignKey(
        Division, verbose_name="举办地（县）", on_delete=models.PROTECT, related_name="trainings"
    )
    organizer = models.ForeignKey(
        Organization,
        verbose_name="主办单位",
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    held_on = models.DateField("培训日期")
    place = models.CharField("培训地点", max_length=200)
    topic = models.CharField("培训主题", max_length=200)
    trainer = models.CharField("授课人", max_length=100)
    attendee_count = models.PositiveIntegerField("参训人数", validators=[MinValueValidator(1)])
    notes = models.TextField("内容摘要", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[TrainingSession]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"
    scope_organization_lookup: ClassVar[str] = "organizer"

    class Meta:
        verbose_name = "培训"
        verbose_name_plural = "培训"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["product", "held_on"])]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class TrainingAttendee(models.Model):
    """The optional attendee list; a phone number is sealed like the directory's."""

    session = models.ForeignKey(
        TrainingSession, verbose_name="培训", on_delete=models.CASCADE, related_name="attendees"
    )
    name = models.CharField("姓名", max_length=50)
    producer = models.ForeignKey(
        Producer, verbose_name="所属主体", null=True, blank=True, on_delete=models.SET_NULL
    )
    phone_sealed = models.TextField(blank=True, editable=False)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True, editable=False)

    class Meta:
        verbose_name = "参训人员"
        verbose_name_plural = "参训人员"
        ordering = ["session", "id"]

    def __str__(self) -> str:
        return self.name


class GradeStandard(models.Model):
    """One grade of a product's grading scheme (分等分级), e.g. 特级 (rank 1), 一级 (rank 2).
    A report earns the best-ranked grade whose every criterion its items meet."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.CASCADE, related_name="grades"
    )
    name = models.CharField("等级", max_length=20)
    rank = models.PositiveSmallIntegerField("排序", help_text="1 为最高等级")

    class Meta:
        verbose_name = "等级标准"
        verbose_name_plural = "等级标准"
        ordering = ["product", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["product", "rank"], name="grade_unique_rank"),
            models.UniqueConstraint(fields=["product", "name"], name="grade_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class GradeCriterion(models.Model):
    grade = models.ForeignKey(
        GradeStandard, verbose_name="等级", on_delete=models.CASCADE, related_name="criteria"
    )
    item_name = models.CharField("指标", max_length=100)
    unit = models.CharField("单位", max_length=20, blank=True)
    min_value = models.DecimalField("下限", max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField("上限", max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = "分级指标"
        verbose_name_plural = "分级指标"
        ordering = ["grade", "item_name"]
        constraints = [
            models.UniqueConstraint(fields=["grade", "item_name"], name="gradecriterion_unique"),
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=False) | models.Q(max_value__isnull=False),
                name="gradecriterion_has_bound",
                violation_error_message="分级指标至少需要下限或上限之一。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grade} · {self.item_name}"


def _report_upload_path(instance: TestReport, filename: str) -> str:
    return f"production/tests/{timezone.now():%Y%m%d%H%M%S}_{filename}"


class TestReport(models.Model):
    """检验检测报告 / 营养品质评价报告, recorded by a lab. `result` and `grade` are derived from
    the items (limits and the product's grading scheme), never typed in."""

    kind = models.CharField("报告类型", max_length=20, choices=TestKind.choices)
    lab = models.ForeignKey(
        Organization, verbose_name="检测机构", on_delete=models.PROTECT, related_name="test_reports"
    )
    report_number = models.CharField("报告编号", max_length=60)
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="test_reports"
    )
    producer = models.ForeignKey(
        Producer, verbose_name="受检主体", on_delete=models.PROTECT, related_name="test_reports"
    )
    base = models.ForeignKey(
        ProductionBase,
        verbose_name="基地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="test_reports",
    )
    sample_code = models.CharField("样品编号", max_length=60)
    batch_code = models.CharField("批次号", max_length=60, blank=True, help_text="已知时填写")
    sampled_on = models.DateField("抽样日期")
    tested_on = models.DateField("检测日期")
    file = models.FileField(
        "报告文件（PDF）", upload_to=_report_upload_path, max_length=300, blank=True
    )
    result = models.CharField(
        "检测结论", max_length=10, choices=TestResult.choices, blank=True, editable=False
    )
    grade = models.ForeignKey(
        GradeStandard,
        verbose_name="等级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
    )
    notes = models.TextField("备注", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("录入时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[TestReport]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    # The sampled producer and the lab that tested both see the report.
    scope_organization_lookup: ClassVar[tuple[str, ...]] = ("producer__organization", "lab")

    class Meta:
        verbose_name = "检测报告"
        verbose_name_plural = "检测报告"
        ordering = ["-tested_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lab", "report_number"],
                name="testreport_unique_number",
                violation_error_message="该检测机构已有此编号的报告。",
            ),
            models.CheckConstraint(
                condition=models.Q(sampled_on__lte=models.F("tested_on")),
                name="testreport_sampled_before_tested",
                violation_error_message="检测日期不应早于抽样日期。",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "tested_on"]),
            models.Index(fields=["producer", "sample_code"]),
        ]

    def __str__(self) -> str:
        return self.report_number


class TestItem(models.Model):
    report = models.ForeignKey(
        TestReport, verbose_name="报告", on_delete=models.CASCADE, related_name="items"
    )
    category = models.CharField(
        "指标类别", max_length=20, choices=TestItemCategory.choices, default=TestItemCategory.SAFETY
    )
    name = models.CharField("检测项目", max_length=100)
    value = models.DecimalField("检测值", max_digits=14, decimal_places=4)
    unit = models.CharField("单位", max_length=20, blank=True)
    limit_min = models.DecimalField(
        "限量下限", max_digits=14, decimal_places=4, null=True, blank=True
    )
    limit_max = models.DecimalField(
        "限量上限", max_digits=14, decimal_places=4, null=True, blank=True
    )
    method = models.CharField(
        "检测方法", max_length=100, blank=True, help_text="如 GB 23200.8-2016"
    )
    passed = models.BooleanField("是否合格", editable=False, default=True)

    class Meta:
        verbose_name = "检测项目"
        verbose_name_plural = "检测项目"
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return self.name

    def within_limits(self) -> bool:
        low_ok = self.limit_min is None or self.value >= self.limit_min
        high_ok = self.limit_max is None or self.value <= self.limit_max
        return low_ok and high_ok
