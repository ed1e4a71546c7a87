"""Stories: the cleaned body, drafting by the certificate holder, publishing by a bureau,
images, and the product's public page (published stories only)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dibiao.brand.choices import StoryStatus
from dibiao.brand.errors import BrandError
from dibiao.brand.html import clean_story_html
from dibiao.brand.models import BrandStory, StoryImage
from dibiao.brand.services.stories import (
    MAX_IMAGES,
    story_image_add,
    story_image_remove,
    story_set_status,
    story_update,
)
from dibiao.brand.tests.support import client_as, story
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.core.uploads import UploadError
from dibiao.registry.choices import ProductStatus
from dibiao.testing.files import HTML, image_bytes, png_upload, upload
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db


# --- The body -----------------------------------------------------------------------------------


def test_the_body_keeps_text_tags_and_drops_everything_that_runs():
    cleaned = clean_story_html(
        '<h3 onclick="steal()">汉代</h3><p style="color:red">张骞<script>alert(1)</script>'
        '<img src=x onerror="alert(2)"><a href="javascript:alert(3)">链接</a>'
        '<a href="https://zh.wikipedia.org/">百科</a></p><iframe src="https://evil"></iframe>'
    )
    assert cleaned == (
        '<h3>汉代</h3><p>张骞<a rel="noopener noreferrer nofollow">链接</a>'
        '<a href="https://zh.wikipedia.org/" rel="noopener noreferrer nofollow">百科</a></p>'
    )


def test_plain_text_becomes_paragraphs_and_is_escaped():
    assert clean_story_html("第一段\n续行\n\n第二段 <3 & 4") == (
        "<p>第一段<br>续行</p><p>第二段 &lt;3 &amp; 4</p>"
    )


def test_a_body_of_nothing_but_markup_is_refused(own, county_admin):
    with pytest.raises(BrandError) as excinfo:
        story(own, county_admin, body="<script>alert(1)</script><p>&nbsp;</p>")
    assert (excinfo.value.code, excinfo.value.message) == ("body_required", "请填写正文。")


def test_the_stored_body_is_the_cleaned_one(own, county_admin):
    row = story(own, county_admin, body='<p onmouseover="x()">葡萄</p><script>x()</script>')
    row.refresh_from_db()
    assert row.body == "<p>葡萄</p>"
    assert row.status == StoryStatus.DRAFT


# --- Who writes, who publishes --------------------------------------------------------------


def test_the_certificate_holder_drafts_and_edits_its_draft(own, holder):
    row = story(own, holder)
    story_update(actor=holder, story=row, data={"title": "葡萄与清徐"})
    assert AuditLog.objects.filter(
        object_type="brand.brandstory", object_id=str(row.pk), action=AuditAction.UPDATE
    ).exists()


def test_a_producer_cannot_write_for_a_product_it_does_not_hold(other, holder):
    with pytest.raises(BrandError) as excinfo:
        story(other, holder)
    assert excinfo.value.code == "product_out_of_scope"


def test_only_a_bureau_publishes_and_the_transition_is_audited(own, holder, county_admin):
    row = story(own, holder)
    with pytest.raises(ForbiddenError):
        story_set_status(actor=holder, story=row, status=StoryStatus.PUBLISHED)
    published = story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    assert published.is_published
    assert published.published_at is not None
    entry = AuditLog.objects.get(object_id=str(row.pk), action=AuditAction.TRANSITION)
    assert entry.changes == {"before": {"status": "draft"}, "after": {"status": "published"}}
    assert entry.detail == "发布到产品公开页面"


def test_a_published_story_is_locked_for_the_producer_but_not_the_bureau(own, holder, county_admin):
    row = story(own, holder)
    story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    with pytest.raises(BrandError) as excinfo:
        story_update(actor=holder, story=row, data={"title": "偷偷改"})
    assert (excinfo.value.code, excinfo.value.status) == ("story_published", 409)
    story_update(actor=county_admin, story=row, data={"title": "管理员修改"})
    row.refresh_from_db()
    assert row.title == "管理员修改"


def test_rejected_transitions(own, county_admin):
    row = story(own, county_admin)
    with pytest.raises(BrandError) as excinfo:
        story_set_status(actor=county_admin, story=row, status=StoryStatus.DRAFT)
    assert (excinfo.value.code, excinfo.value.status) == ("invalid_transition", 409)
    own.status = ProductStatus.CANCELLED
    own.save()
    with pytest.raises(BrandError) as excinfo:
        story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    assert excinfo.value.code == "product_not_registered"


def test_withdrawing_clears_the_publication_time(own, county_admin):
    row = story_set_status(actor=county_admin, story=story(own), status=StoryStatus.PUBLISHED)
    row = story_set_status(actor=county_admin, story=row, status=StoryStatus.DRAFT)
    assert (row.status, row.published_at) == ("draft", None)


def test_another_county_cannot_publish(own, other_county_admin):
    with pytest.raises(NotFoundError):
        story_set_status(actor=other_county_admin, story=story(own), status="published")


# --- Images ---------------------------------------------------------------------------------


def test_an_image_is_checked_by_content_stored_under_a_random_name_and_audited(own, county_admin):
    row = story(own, county_admin)
    image = story_image_add(
        actor=county_admin, story=row, upload=png_upload("葡萄园.png"), caption="清徐葡萄园"
    )
    assert image.kind == "png"
    assert image.content_type == "image/png"
    stored = str(image.image.name)
    assert stored.startswith("brand/stories/")
    assert "葡萄园" not in stored
    assert AuditLog.objects.filter(object_type="brand.storyimage", action="create").exists()
    with pytest.raises(UploadError) as excinfo:
        story_image_add(actor=county_admin, story=row, upload=upload("x.png", HTML))
    assert excinfo.value.code == "file_type_not_allowed"


def test_at_most_twelve_images(own, county_admin):
    row = story(own, county_admin)
    for _ in range(MAX_IMAGES):
        story_image_add(actor=county_admin, story=row, upload=png_upload())
    with pytest.raises(BrandError) as excinfo:
        story_image_add(actor=county_admin, story=row, upload=png_upload())
    assert excinfo.value.code == "too_many_images"


def test_removing_an_image_deletes_it_and_is_audited(
    own, county_admin, django_capture_on_commit_callbacks
):
    row = story(own, county_admin)
    image = story_image_add(actor=county_admin, story=row, upload=png_upload())
    storage, name = image.image.storage, str(image.image.name)
    with django_capture_on_commit_callbacks(execute=True):
        story_image_remove(actor=county_admin, story=row, image_id=image.pk)
    assert not StoryImage.objects.exists()
    assert not storage.exists(name)
    assert AuditLog.objects.filter(object_type="brand.storyimage", action="delete").exists()


# --- The public product page ----------------------------------------------------------------


def test_the_public_page_shows_a_published_story_and_not_a_draft(own, county_admin):
    published = story(own, county_admin, title="张骞与葡萄", body="<p>丝路传来的果实。</p>")
    story_set_status(actor=county_admin, story=published, status=StoryStatus.PUBLISHED)
    story(own, county_admin, title="尚未审定的草稿", body="<p>草稿内容</p>")
    page = client_as().get(reverse("registry:public-product-detail", args=[own.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "张骞与葡萄" in text
    assert "<p>丝路传来的果实。</p>" in text
    assert "尚未审定的草稿" not in text
    assert "草稿内容" not in text


def test_a_story_image_is_public_only_while_the_story_is(own, county_admin):
    row = story(own, county_admin)
    image = story_image_add(actor=county_admin, story=row, upload=png_upload(), caption="老照片")
    url = reverse("brand:public-story-image", args=[row.pk, image.pk])
    assert client_as().get(url).status_code == 404
    story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    response = client_as().get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert streamed(response) == image_bytes()
    page = client_as().get(reverse("registry:public-product-detail", args=[own.pk]))
    assert url in page.content.decode()
    story_set_status(actor=county_admin, story=row, status=StoryStatus.DRAFT)
    assert client_as().get(url).status_code == 404


def test_a_body_written_around_the_service_is_still_cleaned_when_shown(own, county_admin):
    row = story(own, county_admin)
    story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    BrandStory.objects.filter(pk=row.pk).update(body="<p>正文</p><script>alert(1)</script>")
    text = client_as().get(reverse("registry:public-product-detail", args=[own.pk])).content
    assert "<p>正文</p>" in text.decode()
    assert b"alert(1)" not in text
