"""Brand building (品牌建设): media reports, promotional videos, exhibitions and promotion
events, historical and cultural stories. Every record belongs to a product (an exhibition to
the products it showed) and is scoped through the product's divisions and certificate holder,
like the product itself."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from dibiao.accounts.scoping import ScopedQuerySet
from dibiao.brand.choices import EventKind, EventLevel, MediaLevel, StoryStatus
from dibiao.core.models import Division
from dibiao.core.uploads import KINDS, random_stored_name
from dibiao.registry.models import GIProduct

# A video longer than ten hours is a typing error (minutes entered as seconds).
MAX_VIDEO_SECONDS = 10 * 3600


class _ProductScoped(models.Model):
    """What every brand record has: who typed it in and when, and the product scoping."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("录入时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    # A county sees the records of its county's products; the certificate holder those of the
    # products it holds. Through the product's many-to-many divisions, hence the semi-join.
    scope_division_lookup: ClassVar[str] = "product__divisions"
    scope_organization_lookup: ClassVar[str] = "product__certificate_holder"
    scope_through_many: ClassVar[bool] = True

    class Meta:
        abstract = True


class MediaReport(_ProductScoped):
    """媒体报道. One row per product: a report covering several products is entered once for
    each, so that "national media ≥ 1 per product" counts rows."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="media_reports"
    )
    outlet = models.CharField("媒体名称", max_length=100)
    level = models.CharField("级别", max_length=20, choices=MediaLevel.choices)
    published_on = models.DateField("发布日期")
    title = models.CharField("标题", max_length=200)
    link = models.URLField(
        "链接", max_length=500, blank=True, help_text="网络报道的网址（http/https）"
    )
    notes = models.TextField("备注", blank=True)

    objects: ClassVar[ScopedQuerySet[MediaReport]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "媒体报道"
        verbose_name_plural = "媒体报道"
        ordering = ["-published_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "outlet", "published_on", "title"],
                name="mediareport_unique",
                violation_error_message="该产品已登记过同一媒体同一天的同题报道。",
            )
        ]
        indexes = [models.Index(fields=["product", "level", "published_on"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("brand:report-detail", args=[self.pk])


class PromoVideo(_ProductScoped):
    """宣传片. `platforms` names where it was published; `links` holds one address a line."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="promo_videos"
    )
    title = models.CharField("片名", max_length=200)
    duration_seconds = models.PositiveIntegerField(
        "时长（秒）", validators=[MinValueValidator(1), MaxValueValidator(MAX_VIDEO_SECONDS)]
    )
    published_on = models.DateField("发布日期")
    platforms = models.CharField("发布平台", max_length=300, help_text="如 学习强国、央视频、抖音")
    links = models.TextField("链接", blank=True, help_text="每行一个网址")
    notes = models.TextField("备注", blank=True)

    objects: ClassVar[ScopedQuerySet[PromoVideo]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "宣传片"
        verbose_name_plural = "宣传片"
        ordering = ["-published_on", "-id"]
        indexes = [models.Index(fields=["product", "published_on"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("brand:video-detail", args=[self.pk])

    @property
    def duration_text(self) -> str:
        """ "12分30秒" (or "1小时2分" past an hour)."""
        minutes, seconds = divmod(self.duration_seconds or 0, 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours}小时{minutes}分" + (f"{seconds}秒" if seconds else "")
        return f"{minutes}分{seconds}秒" if minutes else f"{seconds}秒"

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]


class Exhibition(_ProductScoped):
    """展会/推介活动. Shows one or more products; each county sees the events that showed any of
    its products. Deals signed are a count and an amount in 万元 (as the plan reports them)."""

    kind = models.CharField(
        "类型", max_length=20, choices=EventKind.choices, default=EventKind.EXPO
    )
    name = models.CharField("名称", max_length=200)
    level = models.CharField("级别", max_length=20, choices=EventLevel.choices)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期")
    place = models.CharField("举办地点", max_length=200)
    division = models.ForeignKey(
        Division,
        verbose_name="举办地（省内）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="在山西省内举办时选择；省外留空。",
    )
    products = models.ManyToManyField(
        GIProduct, verbose_name="参展产品", related_name="exhibitions"
    )
    deals_count = models.PositiveIntegerField("签约项目（个）", default=0)
    deals_amount = models.DecimalField(
        "签约金额（万元）",
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    notes = models.TextField("备注", blank=True)

    objects: ClassVar[ScopedQuerySet[Exhibition]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]
    scope_division_lookup: ClassVar[str] = "products__divisions"
    scope_organization_lookup: ClassVar[str] = "products__certificate_holder"

    class Meta:
        verbose_name = "展会/推介活动"
        verbose_name_plural = "展会/推介活动"
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_on__lte=models.F("end_on")),
                name="exhibition_dates_ordered",
                violation_error_message="结束日期不能早于开始日期。",
            ),
            models.CheckConstraint(
                condition=models.Q(deals_amount__gte=0),
                name="exhibition_amount_not_negative",
                violation_error_message="签约金额不能为负数。",
            ),
        ]
        indexes = [models.Index(fields=["start_on"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("brand:exhibition-detail", args=[self.pk])


class BrandStory(_ProductScoped):
    """历史文化故事. `body` is HTML, sanitized by the service (brand/html.py) before it is
    stored; a published story is shown on the product's public page."""

    product = models.ForeignKey(
        GIProduct, verbose_name="产品", on_delete=models.PROTECT, related_name="brand_stories"
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    status = models.CharField(
        "状态", max_length=20, choices=StoryStatus.choices, default=StoryStatus.DRAFT
    )
    published_at = models.DateTimeField("发布时间", null=True, blank=True, editable=False)

    objects: ClassVar[ScopedQuerySet[BrandStory]] = ScopedQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "历史文化故事"
        verbose_name_plural = "历史文化故事"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("brand:story-detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == StoryStatus.PUBLISHED


def _story_image_path(instance: StoryImage, filename: str) -> str:
    # A random name: the file is public once the story is, and the user's name tells nothing.
    return random_stored_name(prefix="brand/stories", extension=KINDS[instance.kind].extension)


class StoryImage(models.Model):
    """An image of a story. Not a registry ProductImage: those are shown on the public page at
    once, while a story's images must stay hidden until the story is published."""

    story = models.ForeignKey(
        BrandStory, verbose_name="故事", on_delete=models.CASCADE, related_name="images"
    )
    caption = models.CharField("说明", max_length=200, blank=True)
    image = models.FileField("图片", upload_to=_story_image_path, max_length=300)
    kind = models.CharField("图片类型", max_length=10, editable=False)  # core/uploads.py KINDS
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "故事图片"
        verbose_name_plural = "故事图片"
        ordering = ["story", "id"]

    def __str__(self) -> str:
        return self.caption or f"图片 {self.pk}"

    @property
    def content_type(self) -> str:
        return KINDS[self.kind].content_type
