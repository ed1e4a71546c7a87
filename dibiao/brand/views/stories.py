"""Pages of historical and cultural stories (历史文化故事): list, export, write, edit, detail
(with the text as the public page shows it), publish/withdraw, images; and the public image
of a published story."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.brand import exports, selectors
from dibiao.brand.choices import StoryStatus
from dibiao.brand.forms import StoryForm, StoryImageForm, StoryStatusForm
from dibiao.brand.models import BrandStory, StoryImage
from dibiao.brand.permissions import (
    can_edit_story,
    can_publish_stories,
    can_view_stories,
    can_write_stories,
)
from dibiao.brand.services import stories as services
from dibiao.brand.views.common import add_error, export, is_filtered, list_filters, require
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.core.uploads import open_stored


def _rows(request: AuthedRequest) -> QuerySet[BrandStory]:
    filters = list_filters(request.GET, choices={"status": StoryStatus.values})
    return selectors.story_list_for_user(user=request.user, **filters)


@login_required
def story_list(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_stories(request.user))
    context = {
        "params": request.GET,
        "filtered": is_filtered(request.GET),
        "products": selectors.product_filter_choices(user=request.user),
        "statuses": StoryStatus.choices,
        "can_write": can_write_stories(request.user),
        **paginate(request, _rows(request)),
    }
    return render(request, "brand/story_list.html", context)


@login_required
def story_export(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_stories(request.user))
    return export(
        request, _rows(request), exports.STORIES, object_type=BrandStory._meta.label_lower
    )


@login_required
def story_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_write_stories(request.user))
    form = StoryForm(request.POST or None, products=selectors.product_choices(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            story = services.story_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, f"故事“{story.title}”已保存为草稿。")
            return redirect(story)
    return render(request, "brand/story_form.html", {"form": form, "story": None})


@login_required
def story_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_write_stories(request.user))
    story = selectors.story_get_for_user(user=request.user, pk=pk)
    require(can_edit_story(request.user, story))
    initial = {name: getattr(story, name) for name in services.STORY_FIELDS}
    products = selectors.product_choices_with(user=request.user, current=[story.product_id])
    form = StoryForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.story_update(actor=request.user, story=story, data=form.cleaned_data)
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, "故事已保存。")
            return redirect(story)
    return render(request, "brand/story_form.html", {"form": form, "story": story})


def _detail(request: AuthedRequest, story: BrandStory, **extra: object) -> HttpResponseBase:
    can_edit = can_write_stories(request.user) and can_edit_story(request.user, story)
    context = {
        "story": story,
        "images": list(story.images.all()),
        "can_edit": can_edit,
        "can_publish": can_publish_stories(request.user),
        "next_statuses": services.story_next_statuses(story),
        "image_form": StoryImageForm() if can_edit else None,
        **extra,
    }
    return render(request, "brand/story_detail.html", context, status=400 if extra else 200)


@login_required
def story_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_view_stories(request.user))
    return _detail(request, selectors.story_get_for_user(user=request.user, pk=pk))


@require_POST
@login_required
def story_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_publish_stories(request.user))
    story = selectors.story_get_for_user(user=request.user, pk=pk)
    form = StoryStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态。")
        return redirect(story)
    try:
        story = services.story_set_status(
            actor=request.user, story=story, status=form.cleaned_data["status"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "已发布到产品公开页面" if story.is_published else "已撤回为草稿"
        messages.success(request, f"故事“{story.title}”{done}。")
    return redirect(story)


@require_POST
@login_required
def story_image_add(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_write_stories(request.user))
    story = selectors.story_get_for_user(user=request.user, pk=pk)
    form = StoryImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.story_image_add(
                actor=request.user,
                story=story,
                upload=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
            )
        except DomainError as exc:
            form.add_error("image", exc.message)
        else:
            messages.success(request, "图片已上传。")
            return redirect(story)
    return _detail(request, story, image_form=form)


@require_POST
@login_required
def story_image_remove(request: AuthedRequest, pk: int, image_pk: int) -> HttpResponseBase:
    require(can_write_stories(request.user))
    story = selectors.story_get_for_user(user=request.user, pk=pk)
    try:
        services.story_image_remove(actor=request.user, story=story, image_id=image_pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "图片已删除。")
    return redirect(story)


def _image_response(image: StoryImage, *, public: bool) -> FileResponse:
    response = FileResponse(open_stored(image.image), content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=86400" if public else "private, no-store"
    return response


@login_required
def story_image(request: AuthedRequest, pk: int, image_pk: int) -> HttpResponseBase:
    """An image of a story in scope, published or not (the staff pages show drafts)."""
    require(can_view_stories(request.user))
    story = selectors.story_get_for_user(user=request.user, pk=pk)
    image = story.images.filter(pk=image_pk).first()
    if image is None:
        raise Http404
    return _image_response(image, public=False)


def public_story_image(request: HttpRequest, pk: int, image_pk: int) -> HttpResponseBase:
    """No login: an image of a published story of a registered product, else 404."""
    image = selectors.story_image_public(story_pk=pk, image_pk=image_pk)
    if image is None:
        raise Http404
    return _image_response(image, public=True)


urlpatterns = [
    path("stories/", story_list, name="story-list"),
    path("stories/export/", story_export, name="story-export"),
    path("stories/new/", story_create, name="story-create"),
    path("stories/<int:pk>/", story_detail, name="story-detail"),
    path("stories/<int:pk>/edit/", story_edit, name="story-edit"),
    path("stories/<int:pk>/status/", story_status, name="story-status"),
    path("stories/<int:pk>/images/", story_image_add, name="story-image-add"),
    path("stories/<int:pk>/images/<int:image_pk>/", story_image, name="story-image"),
    path(
        "stories/<int:pk>/images/<int:image_pk>/remove/",
        story_image_remove,
        name="story-image-remove",
    ),
    path(
        "public/stories/<int:pk>/images/<int:image_pk>/",
        public_story_image,
        name="public-story-image",
    ),
]
