from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.geometry import validate_polygon_text
from dibiao.core.models import Division
from dibiao.registry.choices import (
    DocumentKind,
    ProductCategory,
    ProductStatus,
    RegulationStatus,
)

certificate_number_validator = RegexValidator(
    r"^AGI\d{5}$", "登记证书编号应为 AGI 加 5 位数字，例如 AGI01055。"
)


class GIProduct(models.Model):
    """An agricultural geographical-indication product (农产品地理标志)."""

    name = models.CharField("产品名称", max_length=100)
    category = models.CharField("品类", max_length=20, choices=ProductCategory.choices)
    subcategory = models.CharField("细分类别", max_length=50, blank=True)
    certificate_number = models.CharField(
        "登记证书编号",
        max_length=8,
        blank=True,
        validators=[certificate_number_validator],
        help_text="AGI + 5 位数字；未查到时留空。",
    )
    qc_spec_number = models.CharField("质量控制技术规范编号", max_length=40, blank=True)
    registration_year = models.PositiveSmallIntegerField(
        "登记年份",
        null=True,
        blank=True,
        validators=[MinValueValidator(2007), MaxValueValidator(2100)],
    )
    announcement = models.CharField("登记公告", max_length=200, blank=True)
    certificate_holder = models.ForeignKey(
        Organization,
        verbose_name="证书持有人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_products",
    )
    divisions = models.ManyToManyField(
        Division,
        verbose_name="所在行政区划",
        related_name="gi_products",
        blank=True,
        help_text="产品所在的县；所涉县未确认时填市，市也未确认时填省。",
    )
    protected_area = models.TextField("地域保护范围", blank=True)
    min_longitude = models.DecimalField(
        "东经起", max_digits=9, decimal_places=6, null=True, blank=True
    )
    max_longitude = models.DecimalField(
        "东经止", max_digits=9, decimal_places=6, null=True, blank=True
    )
    min_latitude = models.DecimalField(
        "北纬起", max_digits=8, decimal_places=6, null=True, blank=True
    )
    max_latitude = models.DecimalField(
        "北纬止", max_digits=8, decimal_places=6, null=True, blank=True
    )
    protected_area_boundary = models.TextField(
        "地域保护范围边界（GeoJSON）",
        blank=True,
        validators=[validate_polygon_text],
        help_text="WGS-84 经纬度的面（Polygon/MultiPolygon）；没有时留空，基地不做范围核查。",
    )
    quality_characteristics = models.TextField("品质特色", blank=True)
    story = models.TextField("历史文化", blank=True)
    notes = models.TextField("资料核实说明", blank=True, help_text="哪些事实已核实、哪些未查到。")
    sources = models.TextField("资料来源", blank=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=ProductStatus.choices,
        default=ProductStatus.REGISTERED,
        db_index=True,
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[GIProduct]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "divisions"
    scope_organization_lookup: ClassVar[str] = "certificate_holder"
    scope_through_many: ClassVar[bool] = True

    class Meta:
        verbose_name = "地理标志农产品"
        verbose_name_plural = "地理标志农产品"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~models.Q(certificate_number=""),
                name="giproduct_unique_certificate_number",
                violation_error_message="该登记证书编号已登记在另一个产品名下。",
            ),
            models.UniqueConstraint(fields=["name"], name="giproduct_unique_name"),
            models.CheckConstraint(
                condition=models.Q(min_longitude__isnull=True)
                | models.Q(max_longitude__isnull=True)
                | models.Q(min_longitude__lte=models.F("max_longitude")),
                name="giproduct_longitude_range",
                violation_error_message="东经起应不大于东经止。",
            ),
            models.CheckConstraint(
                condition=models.Q(min_latitude__isnull=True)
                | models.Q(max_latitude__isnull=True)
                | models.Q(min_latitude__lte=models.F("max_latitude")),
                name="giproduct_latitude_range",
                violation_error_message="北纬起应不大于北纬止。",
            ),
        ]
        indexes = [
            models.Index(fields=["category", "name"]),
            # The public list filters on status and pages in name order: with this index the
            # page is read in order instead of sorting every registered product per request.
            models.Index(fields=["status", "name", "id"], name="giproduct_status_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # A half-filled box cannot be drawn or used for containment; every writer (form, API,
        # demo loader) goes through full_clean, so the rule lives here once.
        box = (self.min_longitude, self.max_longitude, self.min_latitude, self.max_latitude)
        if any(v is not None for v in box) and any(v is None for v in box):
            raise ValidationError("坐标范围需同时填写东经起止和北纬起止，或全部留空。")

    @property
    def has_bbox(self) -> bool:
        return None not in (
            self.min_longitude,
            self.max_longitude,
            self.min_latitude,
            self.max_latitude,
        )


def _product_upload_path(instance: ProductDocument | ProductImage, filename: str) -> str:
    return f"registry/{instance.product_id}/{timezone.now():%Y%m%d%H%M%S}_{filename}"


class ProductDocument(models.Model):
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(
        "类型", max_length=30, choices=DocumentKind.choices, default=DocumentKind.TECHNICAL_STANDARD
    )
    title = models.CharField("标题", max_length=200)
    file = models.FileField("文件", upload_to=_product_upload_path, max_length=300)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "产品文件"
        verbose_name_plural = "产品文件"
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title


class ProductImage(models.Model):
    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.CASCADE, related_name="images"
    )
    caption = models.CharField("说明", max_length=200, blank=True)
    image = models.FileField("图片", upload_to=_product_upload_path, max_length=300)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "产品图片"
        verbose_name_plural = "产品图片"
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.caption or f"图片 {self.pk}"


def _regulation_upload_path(instance: TechnicalRegulation, filename: str) -> str:
    return f"registry/{instance.product_id}/regulations/{timezone.now():%Y%m%d%H%M%S}_{filename}"


class TechnicalRegulation(models.Model):
    """生产技术规程: a product's production regulation, kept as versions. Publishing a new
    version supersedes the current one; old versions stay readable (records made under them
    cite them)."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="regulations"
    )
    title = models.CharField("规程名称", max_length=200)
    code = models.CharField("标准编号", max_length=60, blank=True, help_text="如 DB14/T 1234-2020")
    version = models.CharField("版本", max_length=20)
    effective_on = models.DateField("实施日期")
    summary = models.TextField("主要内容", blank=True)
    file = models.FileField("文件", upload_to=_regulation_upload_path, max_length=300, blank=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=RegulationStatus.choices,
        default=RegulationStatus.CURRENT,
        db_index=True,
    )
    supersedes = models.OneToOneField(
        "self",
        verbose_name="替代的版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: ClassVar[ScopedQuerySet[TechnicalRegulation]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "product__divisions"
    scope_organization_lookup: ClassVar[str] = "product__certificate_holder"
    scope_through_many: ClassVar[bool] = True

    class Meta:
        verbose_name = "生产技术规程"
        verbose_name_plural = "生产技术规程"
        ordering = ["product__name", "-effective_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "version"],
                name="regulation_unique_version",
                violation_error_message="该产品已有此版本号的规程。",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=models.Q(status="current"),
                name="regulation_one_current",
                violation_error_message="每个产品只能有一个现行版本。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.version}）"
