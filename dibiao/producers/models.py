"""The directory of production and operating entities (生产经营主体名录), their bases, the
farmers they drive, and their authorizations to use a product's GI label."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.core.models import Division
from dibiao.producers.choices import (
    AuthorizationStatus,
    BaseKind,
    BaseStatus,
    ProducerKind,
    ProducerStatus,
)
from dibiao.registry.models import GIProduct


class Producer(models.Model):
    """生产经营主体. Personal numbers are stored sealed (dibiao/core/pii.py): `*_sealed` is the
    ciphertext, `*_digest` the exact-search key, `*_masked` what screens show."""

    name = models.CharField("主体名称", max_length=100)
    kind = models.CharField("主体类型", max_length=20, choices=ProducerKind.choices)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    id_number_sealed = models.TextField("身份证号码（密文）", blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    id_number_masked = models.CharField("身份证号码", max_length=18, blank=True, editable=False)
    legal_representative = models.CharField("法定代表人/负责人", max_length=50, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    phone_sealed = models.TextField("联系电话（密文）", blank=True, editable=False)
    phone_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True, editable=False)
    address = models.CharField("地址", max_length=200, blank=True)
    division = models.ForeignKey(
        Division,
        verbose_name="所在县（市、区）",
        on_delete=models.PROTECT,
        related_name="producers",
    )
    products = models.ManyToManyField(
        GIProduct, verbose_name="生产的地理标志产品", related_name="producers", blank=True
    )
    is_certificate_holder = models.BooleanField("证书持有人", default=False)
    is_scale_operator = models.BooleanField("规模生产经营主体", default=False)
    organization = models.OneToOneField(
        Organization,
        verbose_name="平台账号所属机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="producer",
        help_text="该主体登录平台所用的组织机构；没有账号的主体留空。",
    )
    status = models.CharField(
        "状态",
        max_length=20,
        choices=ProducerStatus.choices,
        default=ProducerStatus.ACTIVE,
        db_index=True,
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[Producer]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "division"
    scope_organization_lookup: ClassVar[str] = "organization"

    class Meta:
        verbose_name = "生产经营主体"
        verbose_name_plural = "生产经营主体"
        ordering = ["division__code", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="producer_unique_credit_code",
                violation_error_message="该统一社会信用代码已登记在另一个主体名下。",
            ),
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=~models.Q(id_number_digest=""),
                name="producer_unique_id_number",
                violation_error_message="该身份证号码已登记在另一个主体名下。",
            ),
        ]
        indexes = [models.Index(fields=["division", "status", "name"])]

    def __str__(self) -> str:
        return self.name


class ProductionBase(models.Model):
    """核心生产基地 / 特色品种繁育基地. The boundary is GeoJSON text (WGS-84) with its box and
    its geodesic area; `outside_protected_area` is set when the product has a protected-area
    polygon and the base is not within it."""

    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="bases"
    )
    product = models.ForeignKey(
        GIProduct, verbose_name="地理标志产品", on_delete=models.PROTECT, related_name="bases"
    )
    kind = models.CharField("基地类型", max_length=20, choices=BaseKind.choices)
    name = models.CharField("基地名称", max_length=100)
    division = models.ForeignKey(
        Division, verbose_name="所在县（市、区）", on_delete=models.PROTECT, related_name="bases"
    )
    address = models.CharField("位置描述", max_length=200, blank=True)
    area_mu = models.DecimalField(
        "面积（亩）",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=8, decimal_places=6, null=True, blank=True)
    boundary = models.TextField("边界（GeoJSON）", blank=True)
    boundary_area_mu = models.DecimalField(
        "边界计算面积（亩）", max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    min_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, editable=False)
    max_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, editable=False)
    min_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, editable=False)
    max_latitude = models.DecimalField(max_digits=8, decimal_places=6, null=True, editable=False)
    has_storage = models.BooleanField("仓储设施", default=False)
    has_cold_chain = models.BooleanField("冷链设施", default=False)
    facilities = models.TextField("设施说明", blank=True)
    outside_protected_area = models.BooleanField(
        "超出地域保护范围", default=False, editable=False, db_index=True
    )
    status = models.CharField(
        "状态", max_length=20, choices=BaseStatus.choices, default=BaseStatus.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[ProductionBase]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "生产基地"
        verbose_name_plural = "生产基地"
        ordering = ["product__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["producer", "name"],
                name="base_unique_name_per_producer",
                violation_error_message="该主体已有同名基地。",
            ),
            models.CheckConstraint(
                condition=models.Q(area_mu__gt=0),
                name="base_area_positive",
                violation_error_message="面积应大于 0。",
            ),
            models.CheckConstraint(
                condition=(models.Q(longitude__isnull=True) & models.Q(latitude__isnull=True))
                | (models.Q(longitude__isnull=False) & models.Q(latitude__isnull=False)),
                name="base_point_complete",
                violation_error_message="经度和纬度需同时填写或同时留空。",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "kind", "status"]),
            models.Index(fields=["min_longitude", "max_longitude", "min_latitude", "max_latitude"]),
        ]

    def __str__(self) -> str:
        return self.name


class FarmerLink(models.Model):
    """带动农户、增收: one row per entity and year. Growth is computed against the previous
    year's row (selectors), never typed in."""

    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="farmer_links"
    )
    year = models.PositiveSmallIntegerField("年度")
    households = models.PositiveIntegerField("带动农户（户）")
    people = models.PositiveIntegerField("带动人数（人）")
    per_capita_income = models.DecimalField(
        "带动农户人均可支配收入（元）",
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    notes = models.TextField("说明", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[FarmerLink]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "带动农户情况"
        verbose_name_plural = "带动农户情况"
        ordering = ["producer__name", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["producer", "year"],
                name="farmerlink_unique_year",
                violation_error_message="该主体该年度的带动农户情况已填报。",
            ),
            models.CheckConstraint(
                condition=models.Q(people__gte=models.F("households")),
                name="farmerlink_people_at_least_households",
                violation_error_message="带动人数不应少于带动户数。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.producer} {self.year}"


class Household(models.Model):
    """One driven household of an entity in a year (imported from the household list). The
    householder's name and ID number are sealed like the directory's personal data."""

    producer = models.ForeignKey(
        Producer, verbose_name="经营主体", on_delete=models.PROTECT, related_name="households"
    )
    year = models.PositiveSmallIntegerField("年度")
    name_sealed = models.TextField(editable=False)
    name_masked = models.CharField("户主姓名", max_length=50, editable=False)
    id_number_sealed = models.TextField(blank=True, editable=False)
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    id_number_masked = models.CharField("身份证号码", max_length=18, blank=True, editable=False)
    village = models.CharField("所在村", max_length=100, blank=True)
    members = models.PositiveSmallIntegerField("家庭人口", default=1)
    income = models.DecimalField(
        "家庭年收入（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[Household]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    scope_organization_lookup: ClassVar[str] = "producer__organization"

    class Meta:
        verbose_name = "带动农户"
        verbose_name_plural = "带动农户"
        ordering = ["producer", "-year", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["producer", "year", "id_number_digest"],
                condition=~models.Q(id_number_digest=""),
                name="household_unique_person_year",
                violation_error_message="该户已在该主体该年度的名单中。",
            ),
        ]

    def __str__(self) -> str:
        return self.name_masked


class LabelAuthorization(models.Model):
    """标志授权使用: an entity's right to use one product's GI label for one production year,
    up to an authorized number of labels. Valid only while approved and within its dates."""

    producer = models.ForeignKey(
        Producer, verbose_name="申请主体", on_delete=models.PROTECT, related_name="authorizations"
    )
    product = models.ForeignKey(
        GIProduct,
        verbose_name="地理标志产品",
        on_delete=models.PROTECT,
        related_name="authorizations",
    )
    year = models.PositiveSmallIntegerField("生产年度")
    number = models.CharField("协议编号", max_length=40, blank=True)
    # The application (申请材料).
    qualifications = models.TextField("主体资质情况")
    production_plan = models.TextField("生产计划")
    quality_measures = models.TextField("质量控制措施")
    requested_quantity = models.PositiveIntegerField("申请标志数量（枚）")
    scope = models.CharField("使用范围", max_length=200, help_text="产品规格、包装形式等")
    commitment = models.BooleanField("已签署书面承诺", default=False)
    applied_at = models.DateTimeField("申请时间", default=timezone.now)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Reviews.
    holder_reviewed_at = models.DateTimeField("证书持有人审核时间", null=True, blank=True)
    holder_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    holder_comment = models.TextField("证书持有人意见", blank=True)
    county_reviewed_at = models.DateTimeField("县级审核时间", null=True, blank=True)
    county_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    county_comment = models.TextField("县级意见", blank=True)
    # The agreement (授权使用协议), set on approval.
    authorized_quantity = models.PositiveIntegerField("授权标志数量（枚）", null=True, blank=True)
    valid_from = models.DateField("有效期起", null=True, blank=True)
    valid_until = models.DateField("有效期止", null=True, blank=True)
    status = models.CharField(
        "状态",
        max_length=20,
        choices=AuthorizationStatus.choices,
        default=AuthorizationStatus.PENDING_HOLDER,
        db_index=True,
    )
    status_reason = models.TextField("暂停/撤销/驳回理由", blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", default=timezone.now)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    objects: ClassVar[ScopedQuerySet[LabelAuthorization]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "producer__division"
    # The applicant sees its own; the product's certificate holder sees what it must review.
    scope_organization_lookup: ClassVar[tuple[str, ...]] = (
        "producer__organization",
        "product__certificate_holder",
    )

    class Meta:
        verbose_name = "标志使用授权"
        verbose_name_plural = "标志使用授权"
        ordering = ["-year", "product__name", "producer__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=~models.Q(number=""),
                name="authorization_unique_number",
                violation_error_message="协议编号已被使用。",
            ),
            # One live application or agreement per entity, product and year; a rejected or
            # withdrawn one may be followed by a new application.
            models.UniqueConstraint(
                fields=["producer", "product", "year"],
                condition=models.Q(
                    status__in=["pending_holder", "pending_county", "approved", "suspended"]
                ),
                name="authorization_one_live_per_year",
                violation_error_message="该主体该产品本年度已有在办或生效的授权。",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_until")),
                name="authorization_dates_ordered",
                violation_error_message="有效期起应不晚于有效期止。",
            ),
        ]
        indexes = [models.Index(fields=["product", "status", "valid_until"])]

    def __str__(self) -> str:
        return self.number or f"{self.producer} · {self.product} · {self.year}"

    def is_valid_on(self, day: dt.date) -> bool:
        return (
            self.status == AuthorizationStatus.APPROVED
            and self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from <= day <= self.valid_until
        )

    @property
    def is_valid_today(self) -> bool:
        return self.is_valid_on(timezone.localdate())
