"""Pages of exhibitions and promotion events (展会/推介活动): list, export, record, edit,
detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.brand import exports, selectors
from dibiao.brand.choices import EventLevel
from dibiao.brand.forms import ExhibitionForm
from dibiao.brand.models import Exhibition
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import exhibitions as services
from dibiao.brand.views.common import add_error, export, is_filtered, list_filters, require
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate


def _rows(request: AuthedRequest) -> QuerySet[Exhibition]:
    filters = list_filters(request.GET, choices={"level": EventLevel.values})
    return selectors.exhibition_list_for_user(user=request.user, **filters)


def _form(request: AuthedRequest, exhibition: Exhibition | None) -> ExhibitionForm:
    current = [p.pk for p in exhibition.products.all()] if exhibition else []
    initial: dict[str, Any] = {}
    if exhibition is not None:
        initial = {name: getattr(exhibition, name) for name in services.EXHIBITION_FIELDS}
        initial["products"] = current
    return ExhibitionForm(
        request.POST or None,
        products=selectors.product_choices_with(user=request.user, current=current),
        divisions=selectors.event_division_choices(),
        initial=initial,
    )


@login_required
def exhibition_list(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    context = {
        "params": request.GET,
        "filtered": is_filtered(request.GET),
        "products": selectors.product_filter_choices(user=request.user),
        "levels": EventLevel.choices,
        "can_record": can_record_brand(request.user),
        **paginate(request, _rows(request)),
    }
    return render(request, "brand/exhibition_list.html", context)


@login_required
def exhibition_export(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    return export(
        request, _rows(request), exports.EXHIBITIONS, object_type=Exhibition._meta.label_lower
    )


@login_required
def exhibition_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_record_brand(request.user))
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            exhibition = services.exhibition_create(
                actor=request.user, data=form.to_data(), products=form.cleaned_data["products"]
            )
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, f"“{exhibition.name}”已登记。")
            return redirect(exhibition)
    return render(request, "brand/exhibition_form.html", {"form": form, "exhibition": None})


@login_required
def exhibition_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_record_brand(request.user))
    exhibition = selectors.exhibition_get_for_user(user=request.user, pk=pk)
    form = _form(request, exhibition)
    if request.method == "POST" and form.is_valid():
        try:
            services.exhibition_update(
                actor=request.user,
                exhibition=exhibition,
                data=form.to_data(),
                products=form.cleaned_data["products"],
            )
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, "展会/推介活动已保存。")
            return redirect(exhibition)
    context = {
        "form": form,
        "exhibition": exhibition,
        "others": selectors.exhibition_products_outside(user=request.user, exhibition=exhibition),
    }
    return render(request, "brand/exhibition_form.html", context)


@login_required
def exhibition_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_view_brand(request.user))
    exhibition = selectors.exhibition_get_for_user(user=request.user, pk=pk)
    context = {"exhibition": exhibition, "can_record": can_record_brand(request.user)}
    return render(request, "brand/exhibition_detail.html", context)


urlpatterns = [
    path("exhibitions/", exhibition_list, name="exhibition-list"),
    path("exhibitions/export/", exhibition_export, name="exhibition-export"),
    path("exhibitions/new/", exhibition_create, name="exhibition-create"),
    path("exhibitions/<int:pk>/", exhibition_detail, name="exhibition-detail"),
    path("exhibitions/<int:pk>/edit/", exhibition_edit, name="exhibition-edit"),
]
