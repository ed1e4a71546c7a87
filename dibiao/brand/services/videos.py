"""Promotional videos (宣传片): record and edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand.errors import BrandError
from dibiao.brand.models import PromoVideo
from dibiao.brand.permissions import can_record_brand
from dibiao.brand.services.common import (
    apply,
    audit_create,
    check_date,
    check_product,
    full_clean,
    lock,
    require,
    save_update,
)
from dibiao.core.audit import model_snapshot

VIDEO_FIELDS = (
    "product",
    "title",
    "duration_seconds",
    "published_on",
    "platforms",
    "links",
    "notes",
)
WRITE_DENIED = "只有省级、市级和县级管理员可以登记宣传片。"
MAX_LINKS = 20
_url = URLValidator(schemes=["http", "https"])


def clean_links(text: str) -> str:
    """One http(s) address a line, blank lines dropped; each checked like a URL field."""
    links = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise BrandError("too_many_links", f"链接最多 {MAX_LINKS} 个。")
    wrong = []
    for link in links:
        try:
            _url(link)
        except ValidationError:
            wrong.append(link[:60])
    if wrong:
        raise BrandError("invalid_link", f"链接应为 http 或 https 网址：{'、'.join(wrong)}")
    return "\n".join(links)


def _validate(actor: User | None, video: PromoVideo, *, product_changed: bool) -> None:
    if product_changed:
        check_product(actor, getattr(video, "product", None))
    check_date(video.published_on, "发布日期", code="published_on")
    video.links = clean_links(video.links)
    full_clean(video, code="invalid_video")


@transaction.atomic
def video_create(*, actor: User | None, data: Mapping[str, Any]) -> PromoVideo:
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    video = PromoVideo(recorded_by=actor, created_at=timezone.now())
    apply(video, data, VIDEO_FIELDS)
    _validate(actor, video, product_changed=True)
    video.updated_at = video.created_at
    video.save()
    audit_create(actor, video)
    return video


@transaction.atomic
def video_update(*, actor: User | None, video: PromoVideo, data: Mapping[str, Any]) -> PromoVideo:
    if actor is not None:
        require(can_record_brand(actor), WRITE_DENIED)
    video = lock(actor, PromoVideo, video.pk, "未找到该宣传片。")
    before = model_snapshot(video)
    product_changed = "product" in data and getattr(data["product"], "pk", None) != video.product_id
    apply(video, data, VIDEO_FIELDS)
    _validate(actor, video, product_changed=product_changed)
    save_update(actor, video, before)
    return video
