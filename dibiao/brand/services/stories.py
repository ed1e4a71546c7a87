"""Historical and cultural stories (历史文化故事): draft, edit, publish, withdraw, images.

The workflow is two states, declared once in TRANSITIONS. A producer holding the product's
certificate drafts; a bureau publishes (the story then shows on the public product page) and
may withdraw it to a draft. The body is cleaned (brand/html.py) before it is stored, so the
public page never sees HTML that was not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.brand.choices import StoryStatus
from dibiao.brand.errors import BrandError
from dibiao.brand.html import clean_story_html, html_text
from dibiao.brand.models import BrandStory, StoryImage
from dibiao.brand.permissions import (
    can_edit_story,
    can_publish_stories,
    can_write_stories,
)
from dibiao.brand.services.common import (
    apply,
    audit_create,
    check_product,
    full_clean,
    lock,
    require,
    save_update,
)
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.core.uploads import IMAGE_KINDS, check_upload
from dibiao.registry.choices import ProductStatus

STORY_FIELDS = ("product", "title", "body")
TRANSITIONS: dict[str, frozenset[str]] = {
    StoryStatus.DRAFT: frozenset({StoryStatus.PUBLISHED}),
    StoryStatus.PUBLISHED: frozenset({StoryStatus.DRAFT}),
}
WRITE_DENIED = "只有省级、市级、县级管理员和产品的证书持有人可以撰写历史文化故事。"
PUBLISH_DENIED = "只有省级、市级和县级管理员可以发布或撤回历史文化故事。"
MAX_BODY_CHARACTERS = 50_000
MAX_IMAGES = 12


def _validate(actor: User | None, story: BrandStory, *, product_changed: bool) -> None:
    if product_changed:
        check_product(actor, getattr(story, "product", None))
    story.body = clean_story_html(story.body or "")
    text = html_text(story.body)
    if not text:
        raise BrandError("body_required", "请填写正文。")
    if len(story.body) > MAX_BODY_CHARACTERS:
        raise BrandError("body_too_long", f"正文过长（最多 {MAX_BODY_CHARACTERS} 个字符）。")
    full_clean(story, code="invalid_story")


@transaction.atomic
def story_create(*, actor: User | None, data: Mapping[str, Any]) -> BrandStory:
    """A new draft; `data` holds STORY_FIELDS."""
    if actor is not None:
        require(can_write_stories(actor), WRITE_DENIED)
    story = BrandStory(recorded_by=actor, created_at=timezone.now(), status=StoryStatus.DRAFT)
    apply(story, data, STORY_FIELDS)
    _validate(actor, story, product_changed=True)
    story.updated_at = story.created_at
    story.save()
    audit_create(actor, story)
    return story


def _lock(actor: User | None, story: BrandStory) -> BrandStory:
    return lock(actor, BrandStory, story.pk, "未找到该历史文化故事。")


@transaction.atomic
def story_update(*, actor: User | None, story: BrandStory, data: Mapping[str, Any]) -> BrandStory:
    if actor is not None:
        require(can_write_stories(actor), WRITE_DENIED)
    story = _lock(actor, story)
    if actor is not None and not can_edit_story(actor, story):
        raise BrandError(
            "story_published",
            "故事已发布，只有管理员可以修改；如需修改请联系管理员撤回。",
            status=409,
        )
    before = model_snapshot(story)
    product_changed = "product" in data and getattr(data["product"], "pk", None) != story.product_id
    apply(story, data, STORY_FIELDS)
    _validate(actor, story, product_changed=product_changed)
    save_update(actor, story, before)
    return story


def story_next_statuses(story: BrandStory) -> list[StoryStatus]:
    return [StoryStatus(s) for s in sorted(TRANSITIONS[story.status])]


@transaction.atomic
def story_set_status(*, actor: User | None, story: BrandStory, status: str) -> BrandStory:
    """Publish a draft or withdraw a published story."""
    if actor is not None:
        require(can_publish_stories(actor), PUBLISH_DENIED)
    story = _lock(actor, story)
    if status not in TRANSITIONS.get(story.status, frozenset()):
        raise BrandError(
            "invalid_transition",
            f"故事当前为“{story.get_status_display()}”，不能改为“{StoryStatus(status).label if status in StoryStatus.values else status}”。",
            status=409,
        )
    if status == StoryStatus.PUBLISHED and story.product.status != ProductStatus.REGISTERED:
        raise BrandError("product_not_registered", "产品已注销，其故事不能发布。", status=409)
    before = story.status
    story.status = status
    story.published_at = timezone.now() if status == StoryStatus.PUBLISHED else None
    story.updated_at = timezone.now()
    story.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=story,
        changes={"before": {"status": before}, "after": {"status": story.status}},
        detail="发布到产品公开页面" if status == StoryStatus.PUBLISHED else "撤回为草稿",
    )
    return story


@transaction.atomic
def story_image_add(
    *, actor: User | None, story: BrandStory, upload: UploadedFile, caption: str = ""
) -> StoryImage:
    """An image checked by content (core/uploads.py: JPEG, PNG or WebP, opened with Pillow)."""
    if actor is not None:
        require(can_write_stories(actor), WRITE_DENIED)
    story = _lock(actor, story)
    if actor is not None and not can_edit_story(actor, story):
        raise BrandError("story_published", "故事已发布，只有管理员可以修改。", status=409)
    if story.images.count() >= MAX_IMAGES:
        raise BrandError("too_many_images", f"每个故事最多 {MAX_IMAGES} 张图片。")
    caption = (caption or "").strip()
    if len(caption) > 200:
        raise BrandError("caption_too_long", "图片说明不能超过 200 个字。")
    checked = check_upload(upload, allowed=IMAGE_KINDS)
    image = StoryImage.objects.create(
        story=story, caption=caption, image=upload, kind=checked.kind.code, uploaded_by=actor
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=image,
        changes={"after": {"story": story.pk, "caption": caption, "file": image.image.name}},
    )
    return image


@transaction.atomic
def story_image_remove(*, actor: User | None, story: BrandStory, image_id: int) -> None:
    if actor is not None:
        require(can_write_stories(actor), WRITE_DENIED)
    story = _lock(actor, story)
    if actor is not None and not can_edit_story(actor, story):
        raise BrandError("story_published", "故事已发布，只有管理员可以修改。", status=409)
    image = story.images.filter(pk=image_id).first()
    if image is None:
        raise NotFoundError("未找到该图片。")
    name = image.image.name or ""
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        obj=image,
        changes={"before": {"story": story.pk, "caption": image.caption, "file": name}},
    )
    image.delete()
    # The file goes once the row's removal has committed: a rolled-back removal keeps both.
    storage = image.image.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
