"""Traceability (追溯): batches and their trace events, label codes issued in serial ranges
(一物一码, no row per label), label-sheet jobs, the 承诺达标合格证, scans and counterfeit alerts."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.choices import JobStatus
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer, ProductionBase
from dibiao.production.models import GradeStandard, ProductionLog, TestReport
from dibiao.registry.models import GIProduct
from dibiao.trace.choices import (
    AlertKind,
    AlertStatus,
    BatchStatus,
    CertificateBasis,
    CertificateStatus,
    CodeStatus,
    LabelFormat,
    SegmentState,
    TraceStage,
)


class Batch(models.Model):
    """批次: made from one or more harvest logs (or, for a split or merge, by a trace event from
    other batches). `version` goes up on every change the scan page shows, so cached facts of
    the batch are never stale."""

    number = models.CharField("批次号", max_length=40, unique=True)
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="batches"
    )
    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="batches"
    )
    base = models.ForeignKey(
        ProductionBase,
        verbose_name="基地",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
        help_text="由多个基地合并的批次留空",
    )
    quantity = models.DecimalField(
        "数量", max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )
    unit = models.CharField("单位", max_length=20)
    harvest_date = models.DateField("采收日期")
    grade = models.ForeignKey(
        GradeStandard,
        verbose_name="等级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    harvest_logs = models.ManyToManyField(
        ProductionLog, verbose_name="采收记录", related_name="batches", blank=True
    )
    test_reports = models.ManyToManyField(
        TestReport, verbose_name="检测报告", related_name="batches", blank=True
    )
    gtin = models.CharField("GTIN（商品条码）", max_length=14, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=BatchStatus.choices, default=BatchStatus.OPEN, db_index=True
    )
    released_at = models.DateTimeField("放行时间", null=True, blank=True)
    recalled_at = models.DateTimeField("召回时间", null=True, blank=True)
    recall_reason = models.TextField("召回原因", blank=True)
    notes = models.TextField("备注", blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[Batch]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "批次"
        verbose_name_plural = "批次"
        ordering = ["-harvest_date", "-id"]
        indexes = [
            models.Index(fields=["product", "harvest_date"]),
            models.Index(fields=["producer", "status"]),
        ]

    def __str__(self) -> str:
        return self.number


class TraceEvent(models.Model):
    """One stage after the harvest (收购, 储存, 运输, 加工, 销售) by a recorded entity: batches go
    in and batches come out, so splits and merges are events too. The counterpart (where the
    goods came from, where they went) is a directory entry when known, else a name."""

    stage = models.CharField("环节", max_length=20, choices=TraceStage.choices)
    occurred_at = models.DateTimeField("时间")
    producer = models.ForeignKey(
        Producer, verbose_name="记录主体", on_delete=models.PROTECT, related_name="trace_events"
    )
    source_name = models.CharField("来源方", max_length=100, blank=True)
    destination_name = models.CharField("去向方", max_length=100, blank=True)
    destination = models.ForeignKey(
        Producer,
        verbose_name="去向主体（名录内）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="received_events",
    )
    place = models.CharField("地点", max_length=200, blank=True)
    division = models.ForeignKey(
        Division, verbose_name="所在县", null=True, blank=True, on_delete=models.PROTECT
    )
    notes = models.TextField("说明", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("记录时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[TraceEvent]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[tuple[str, ...]] = (
        "producer__organization",
        "destination__organization",
    )

    class Meta:
        verbose_name = "追溯事件"
        verbose_name_plural = "追溯事件"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["producer", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.occurred_at:%Y-%m-%d}"


class TraceEventInput(models.Model):
    event = models.ForeignKey(TraceEvent, on_delete=models.CASCADE, related_name="inputs")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="consumed_by")
    quantity = models.DecimalField(
        "数量", max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = "投入批次"
        verbose_name_plural = "投入批次"
        constraints = [models.UniqueConstraint(fields=["event", "batch"], name="traceinput_unique")]

    def __str__(self) -> str:
        return f"{self.batch} → {self.event}"


class TraceEventOutput(models.Model):
    event = models.ForeignKey(TraceEvent, on_delete=models.CASCADE, related_name="outputs")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="produced_by")
    quantity = models.DecimalField(
        "数量", max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = "产出批次"
        verbose_name_plural = "产出批次"
        constraints = [
            models.UniqueConstraint(fields=["event", "batch"], name="traceoutput_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.batch}"


class SerialCounter(models.Model):
    """The next free label serial of the deployment (one row, pk=1). Issuing a range locks it,
    so two issuances never overlap."""

    next_serial = models.BigIntegerField(default=1)

    class Meta:
        verbose_name = "标签序号计数器"
        verbose_name_plural = "标签序号计数器"

    def __str__(self) -> str:
        return str(self.next_serial)


class CodeIssuance(models.Model):
    """A contiguous range of label serials issued to a producer under one label-use
    authorization. The codes are computed from (key id, serial), never stored."""

    number = models.CharField("发放编号", max_length=40, unique=True)
    authorization = models.ForeignKey(
        LabelAuthorization,
        verbose_name="标志使用授权",
        on_delete=models.PROTECT,
        related_name="issuances",
    )
    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="issuances"
    )
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="issuances"
    )
    key_id = models.PositiveSmallIntegerField("密钥编号")
    first_serial = models.BigIntegerField("起始序号")
    last_serial = models.BigIntegerField("结束序号")
    count = models.PositiveIntegerField("数量")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("发放时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[CodeIssuance]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "标签码发放"
        verbose_name_plural = "标签码发放"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count=models.F("last_serial") - models.F("first_serial") + 1),
                name="issuance_count_matches_range",
            ),
            models.UniqueConstraint(fields=["first_serial"], name="issuance_unique_first_serial"),
        ]

    def __str__(self) -> str:
        return self.number


class CodeSegment(models.Model):
    """A sub-range of an issuance in one state: issued (not yet activated), active (bound to a
    batch) or voided. The segments of an issuance never overlap and cover it; binding or voiding
    part of a segment splits it. Checking a code is one indexed lookup here."""

    issuance = models.ForeignKey(
        CodeIssuance, verbose_name="发放", on_delete=models.PROTECT, related_name="segments"
    )
    first_serial = models.BigIntegerField("起始序号")
    last_serial = models.BigIntegerField("结束序号")
    state = models.CharField("状态", max_length=20, choices=SegmentState.choices)
    batch = models.ForeignKey(
        Batch,
        verbose_name="绑定批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="segments",
    )
    reason = models.CharField("作废原因", max_length=200, blank=True)
    changed_at = models.DateTimeField("变更时间", default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "标签码区段"
        verbose_name_plural = "标签码区段"
        ordering = ["first_serial"]
        constraints = [
            models.UniqueConstraint(fields=["first_serial"], name="segment_unique_first_serial"),
            models.CheckConstraint(
                condition=models.Q(last_serial__gte=models.F("first_serial")),
                name="segment_range_ordered",
            ),
            models.CheckConstraint(
                condition=(models.Q(state="active") & models.Q(batch__isnull=False))
                | (~models.Q(state="active") & models.Q(batch__isnull=True)),
                name="segment_active_has_batch",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_serial}–{self.last_serial} {self.get_state_display()}"


class LabelJob(models.Model):
    """A label sheet (PDF) or code list (CSV) of a range, made by a background task; the page
    polls `done` / `total` for its progress."""

    issuance = models.ForeignKey(
        CodeIssuance, verbose_name="发放", on_delete=models.PROTECT, related_name="jobs"
    )
    first_serial = models.BigIntegerField("起始序号")
    last_serial = models.BigIntegerField("结束序号")
    format = models.CharField("格式", max_length=20, choices=LabelFormat.choices)
    status = models.CharField(
        "状态", max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    total = models.PositiveIntegerField("总数")
    done = models.PositiveIntegerField("已完成", default=0)
    # The scan page's origin in the QR codes: DIBIAO_PUBLIC_URL, else the host the job was
    # requested from; kept with the job so that a re-run prints the same URLs.
    origin = models.CharField("二维码网址前缀", max_length=200, blank=True)
    file = models.FileField("文件", upload_to="trace/labels/", max_length=300, blank=True)
    error = models.TextField("错误", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects: ClassVar[ScopedQuerySet[LabelJob]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "issuance__producer__division"
    scope_organization_lookup: ClassVar[str] = "issuance__producer__organization"

    class Meta:
        verbose_name = "标签生成任务"
        verbose_name_plural = "标签生成任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.first_serial}–{self.last_serial}"


class ComplianceCertificate(models.Model):
    """承诺达标合格证, with the mandatory content of the 2025 rules. Kept at least two years
    (`keep_until`); voided, never deleted."""

    number = models.CharField("合格证编号", max_length=40, unique=True)
    batch = models.ForeignKey(
        Batch, verbose_name="批次", on_delete=models.PROTECT, related_name="certificates"
    )
    shipment = models.ForeignKey(
        TraceEvent,
        verbose_name="出货事件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    producer = models.ForeignKey(
        Producer, verbose_name="承诺主体", on_delete=models.PROTECT, related_name="certificates"
    )
    product_name = models.CharField("产品名称", max_length=100)
    quantity = models.DecimalField(
        "产品数量", max_digits=14, decimal_places=3, validators=[MinValueValidator(0)]
    )
    unit = models.CharField("单位", max_length=20)
    origin = models.CharField("产地", max_length=200)
    basis = models.CharField("承诺依据", max_length=30, choices=CertificateBasis.choices)
    test_report = models.ForeignKey(
        TestReport,
        verbose_name="检测报告",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    contact = models.CharField("联系方式", max_length=50)
    issued_at = models.DateTimeField("开具时间", default=timezone.now)
    keep_until = models.DateField("保存期限")
    status = models.CharField(
        "状态",
        max_length=20,
        choices=CertificateStatus.choices,
        default=CertificateStatus.ISSUED,
        db_index=True,
    )
    void_reason = models.TextField("作废原因", blank=True)
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[ScopedQuerySet[ComplianceCertificate]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "承诺达标合格证"
        verbose_name_plural = "承诺达标合格证"
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Scan(models.Model):
    """One check of a code, on the scan page or the API. No personal data: the client's network
    is a keyed hash of its /24 (IPv4) or /48 (IPv6) prefix, the agent a coarse family, and a
    shared location is rounded to 0.1° (about 10 km)."""

    serial = models.BigIntegerField("序号", null=True, blank=True)
    key_id = models.PositiveSmallIntegerField("密钥编号", null=True, blank=True)
    status = models.CharField("结果", max_length=20, choices=CodeStatus.choices)
    mac_failed = models.BooleanField("校验失败", default=False)
    scanned_at = models.DateTimeField("查询时间", default=timezone.now)
    network = models.CharField("网络（散列）", max_length=16, blank=True)
    agent = models.CharField("客户端类别", max_length=20, blank=True)
    latitude = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    longitude = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    via_api = models.BooleanField("通过接口", default=False)

    class Meta:
        verbose_name = "扫码记录"
        verbose_name_plural = "扫码记录"
        ordering = ["-scanned_at", "-id"]
        indexes = [
            # Covers the scan page's count (total, first time, from this network) without
            # reading the table: a code scanned 50,000 times costs an index range scan.
            models.Index(
                fields=["serial", "scanned_at", "network"], name="scan_serial_time_net_idx"
            ),
            models.Index(fields=["scanned_at"]),
            models.Index(fields=["network", "scanned_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.serial} {self.scanned_at:%Y-%m-%d %H:%M}"


class TraceSettings(models.Model):
    """Counterfeit-signal thresholds (one row, pk=1), set by the province."""

    max_scans_per_code = models.PositiveIntegerField(
        "单码查询次数上限", default=20, validators=[MinValueValidator(2)]
    )
    max_networks_per_code = models.PositiveIntegerField(
        "单码查询网络数上限", default=5, validators=[MinValueValidator(2)]
    )
    max_speed_kmh = models.PositiveIntegerField(
        "两次查询间最大合理速度（公里/小时）", default=300, validators=[MinValueValidator(50)]
    )
    max_mac_failures_per_hour = models.PositiveIntegerField(
        "同一网络每小时伪造码上限", default=10, validators=[MinValueValidator(1)]
    )
    scans_per_minute = models.PositiveIntegerField(
        "同一客户端每分钟查询上限", default=60, validators=[MinValueValidator(5)]
    )
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "防伪预警阈值"
        verbose_name_plural = "防伪预警阈值"

    def __str__(self) -> str:
        return "防伪预警阈值"


class CounterfeitAlert(models.Model):
    """A counterfeit signal with its evidence, for the county of the producer (or the province
    when no producer is known, e.g. forged codes)."""

    kind = models.CharField("类型", max_length=30, choices=AlertKind.choices)
    division = models.ForeignKey(
        Division, verbose_name="行政区划", on_delete=models.PROTECT, related_name="+"
    )
    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", null=True, blank=True, on_delete=models.PROTECT
    )
    issuance = models.ForeignKey(
        CodeIssuance, verbose_name="发放", null=True, blank=True, on_delete=models.PROTECT
    )
    serial = models.BigIntegerField("序号", null=True, blank=True)
    evidence = models.JSONField("证据", default=dict)
    status = models.CharField(
        "状态", max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    created_at = models.DateTimeField("预警时间", default=timezone.now)
    closed_at = models.DateTimeField("处理时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("处理说明", blank=True)

    objects: ClassVar[ScopedQuerySet[CounterfeitAlert]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"

    class Meta:
        verbose_name = "防伪预警"
        verbose_name_plural = "防伪预警"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["division", "status", "created_at"]),
            models.Index(fields=["serial", "kind"]),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
