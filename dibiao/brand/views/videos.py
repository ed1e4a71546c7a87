"""Pages of promotional videos (宣传片): list, export, record, edit, detail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.brand import exports, selectors
from dibiao.brand.forms import VideoForm
from dibiao.brand.models import PromoVideo
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import videos as services
from dibiao.brand.views.common import add_error, export, is_filtered, list_filters, require
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate


def _rows(request: AuthedRequest) -> QuerySet[PromoVideo]:
    filters = list_filters(request.GET, choices={})
    return selectors.video_list_for_user(user=request.user, **filters)


@login_required
def video_list(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    context = {
        "params": request.GET,
        "filtered": is_filtered(request.GET),
        "products": selectors.product_filter_choices(user=request.user),
        "can_record": can_record_brand(request.user),
        **paginate(request, _rows(request)),
    }
    return render(request, "brand/video_list.html", context)


@login_required
def video_export(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    return export(request, _rows(request), exports.VIDEOS, object_type=PromoVideo._meta.label_lower)


@login_required
def video_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_record_brand(request.user))
    form = VideoForm(request.POST or None, products=selectors.product_choices(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            video = services.video_create(actor=request.user, data=form.to_data())
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, f"宣传片“{video.title}”已登记。")
            return redirect(video)
    return render(request, "brand/video_form.html", {"form": form, "video": None})


@login_required
def video_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_record_brand(request.user))
    video = selectors.video_get_for_user(user=request.user, pk=pk)
    products = selectors.product_choices_with(user=request.user, current=[video.product_id])
    form = VideoForm(request.POST or None, products=products, initial=VideoForm.initial_for(video))
    if request.method == "POST" and form.is_valid():
        try:
            services.video_update(actor=request.user, video=video, data=form.to_data())
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, "宣传片已保存。")
            return redirect(video)
    return render(request, "brand/video_form.html", {"form": form, "video": video})


@login_required
def video_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_view_brand(request.user))
    video = selectors.video_get_for_user(user=request.user, pk=pk)
    context = {"video": video, "can_record": can_record_brand(request.user)}
    return render(request, "brand/video_detail.html", context)


urlpatterns = [
    path("videos/", video_list, name="video-list"),
    path("videos/export/", video_export, name="video-export"),
    path("videos/new/", video_create, name="video-create"),
    path("videos/<int:pk>/", video_detail, name="video-detail"),
    path("videos/<int:pk>/edit/", video_edit, name="video-edit"),
]
