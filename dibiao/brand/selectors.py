"""Reads of brand records.

Two kinds:

- for the indicators (evaluation): `media_reports`, `promo_videos`, `exhibitions`, `stories`
  take one product and a period and are not scoped to a user: the caller has already found the
  product through its own scoped selector. Period bounds are dates, inclusive; an exhibition
  belongs to the period its first day falls in, so an event over New Year counts once.
- for the pages and the API: `<entity>_list_for_user`, `<entity>_get_for_user`, always
  starting from `restrict(user)`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from dibiao.brand.choices import StoryStatus
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo, StoryImage
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

# --- For the indicators --------------------------------------------------------------------------


def _period(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": start})
    if end is not None:
        condition &= Q(**{f"{field}__lte": end})
    return condition


def media_reports(
    *,
    product: GIProduct,
    level: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[MediaReport]:
    """The product's media reports, of one level (MediaLevel value) if given, published within
    [start, end]."""
    rows = MediaReport.objects.filter(product=product).filter(_period("published_on", start, end))
    if level is not None:
        rows = rows.filter(level=level)
    return rows.order_by("published_on", "id")


def promo_videos(*, product: GIProduct) -> QuerySet[PromoVideo]:
    return PromoVideo.objects.filter(product=product).order_by("published_on", "id")


def exhibitions(
    *, product: GIProduct, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Exhibition]:
    """Events that showed the product and began within [start, end]."""
    return (
        Exhibition.objects.filter(products=product)
        .filter(_period("start_on", start, end))
        .order_by("start_on", "id")
    )


def stories(*, product: GIProduct, published_only: bool = True) -> QuerySet[BrandStory]:
    rows = BrandStory.objects.filter(product=product)
    if published_only:
        rows = rows.filter(status=StoryStatus.PUBLISHED)
    return rows.order_by("-published_at", "-id")


# --- For the pages and the API -------------------------------------------------------------------


def _year(field: str, year: int | None) -> Q:
    return Q(**{f"{field}__year": year}) if year else Q()


def _search(q: str, *fields: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": q})
    return condition if q else Q()


def report_list_for_user(
    *,
    user: Any,
    q: str = "",
    product_id: int | None = None,
    level: str = "",
    year: int | None = None,
) -> QuerySet[MediaReport]:
    rows = (
        MediaReport.objects.restrict(user)
        .select_related("product")
        .filter(_search(q, "title", "outlet"), _year("published_on", year))
    )
    if product_id:
        rows = rows.filter(product_id=product_id)
    if level:
        rows = rows.filter(level=level)
    return rows


def report_get_for_user(*, user: Any, pk: int) -> MediaReport:
    report = MediaReport.objects.restrict(user).select_related("product").filter(pk=pk).first()
    if report is None:
        raise NotFoundError("未找到该媒体报道。")
    return report


def video_list_for_user(
    *, user: Any, q: str = "", product_id: int | None = None, year: int | None = None
) -> QuerySet[PromoVideo]:
    rows = (
        PromoVideo.objects.restrict(user)
        .select_related("product")
        .filter(_search(q, "title", "platforms"), _year("published_on", year))
    )
    if product_id:
        rows = rows.filter(product_id=product_id)
    return rows


def video_get_for_user(*, user: Any, pk: int) -> PromoVideo:
    video = PromoVideo.objects.restrict(user).select_related("product").filter(pk=pk).first()
    if video is None:
        raise NotFoundError("未找到该宣传片。")
    return video


def exhibition_list_for_user(
    *,
    user: Any,
    q: str = "",
    product_id: int | None = None,
    level: str = "",
    year: int | None = None,
) -> QuerySet[Exhibition]:
    rows = (
        Exhibition.objects.restrict(user)
        .select_related("division")
        .prefetch_related("products")
        .filter(_search(q, "name", "place"), _year("start_on", year))
    )
    if product_id:
        # A semi-join: a filter through the many-to-many would repeat rows.
        rows = rows.filter(pk__in=Exhibition.objects.filter(products=product_id).values("pk"))
    if level:
        rows = rows.filter(level=level)
    return rows


def exhibition_get_for_user(*, user: Any, pk: int) -> Exhibition:
    found = (
        Exhibition.objects.restrict(user)
        .select_related("division")
        .prefetch_related("products")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFoundError("未找到该展会/推介活动。")
    return found


def story_list_for_user(
    *,
    user: Any,
    q: str = "",
    product_id: int | None = None,
    status: str = "",
    year: int | None = None,
) -> QuerySet[BrandStory]:
    rows = (
        BrandStory.objects.restrict(user)
        .select_related("product")
        .filter(_search(q, "title"), _year("created_at", year))
    )
    if product_id:
        rows = rows.filter(product_id=product_id)
    if status:
        rows = rows.filter(status=status)
    return rows


def story_get_for_user(*, user: Any, pk: int) -> BrandStory:
    story = (
        BrandStory.objects.restrict(user)
        .select_related("product")
        .prefetch_related("images")
        .filter(pk=pk)
        .first()
    )
    if story is None:
        raise NotFoundError("未找到该历史文化故事。")
    return story


def product_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products a user may file brand records for: registered products in its scope."""
    return GIProduct.objects.restrict(user).filter(status=ProductStatus.REGISTERED).order_by("name")


def product_choices_with(*, user: Any, current: list[int]) -> QuerySet[GIProduct]:
    """The choices of an edit form: the user's products, and the record's own products even if
    cancelled since (those in scope), so that an older record can still be corrected."""
    return (
        GIProduct.objects.restrict(user)
        .filter(Q(status=ProductStatus.REGISTERED) | Q(pk__in=current))
        .order_by("name")
    )


def event_division_choices() -> QuerySet[Division]:
    """Where an event may be held: any division (an expo in the provincial capital is not in a
    county's scope, and a county bureau still goes there)."""
    return Division.objects.select_related("parent").order_by("path")


def exhibition_products_outside(*, user: Any, exhibition: Exhibition) -> list[str]:
    """Names of the event's products the user cannot see: kept whatever its form sends."""
    visible = set(GIProduct.objects.restrict(user).values_list("pk", flat=True))
    return [p.name for p in exhibition.products.all() if p.pk not in visible]


def product_filter_choices(*, user: Any) -> QuerySet[GIProduct]:
    """Products for a list's filter: every product in scope, cancelled ones included."""
    return GIProduct.objects.restrict(user).order_by("name")


# --- Public pages (no login) ---------------------------------------------------------------------


def stories_public(*, product: GIProduct) -> QuerySet[BrandStory]:
    """The published stories of a product for its public page (the registry shows only
    registered products there)."""
    return stories(product=product).prefetch_related("images")


def story_image_public(*, story_pk: int, image_pk: int) -> StoryImage | None:
    """An image of a published story of a registered product, or None."""
    return (
        StoryImage.objects.filter(
            pk=image_pk,
            story_id=story_pk,
            story__status=StoryStatus.PUBLISHED,
            story__product__status=ProductStatus.REGISTERED,
        )
        .select_related("story")
        .first()
    )
