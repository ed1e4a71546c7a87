"""Pages of production bases (核心生产基地 / 特色品种繁育基地): list, detail, create/edit, status."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST
from shapely.geometry import MultiPolygon

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.scoping import scope_for
from dibiao.core import geometry
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import DomainError
from dibiao.core.models import Division
from dibiao.core.paging import paginate
from dibiao.producers import selectors
from dibiao.producers.choices import BaseKind, BaseStatus
from dibiao.producers.forms import BaseForm, BaseStatusForm, add_domain_error
from dibiao.producers.models import Producer, ProductionBase
from dibiao.producers.permissions import can_manage_bases
from dibiao.producers.rules import area_warning
from dibiao.producers.services import bases as services
from dibiao.producers.views.common import flag_param, int_param, require, staff
from dibiao.registry.models import GIProduct

MU_PER_HECTARE = Decimal(15)
SVG_WIDTH, SVG_HEIGHT, SVG_PAD = 320, 220, 10


def hectares(mu: Decimal | None) -> Decimal | None:
    if mu is None:
        return None
    return (mu / MU_PER_HECTARE).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def boundary_svg_path(boundary: str) -> str:
    """An SVG path of the boundary fitted into the drawing box (north up; longitudes shrunk by
    the cosine of the latitude so that the shape is not stretched)."""
    if not boundary:
        return ""
    try:
        shape = geometry.parse_polygon(boundary)
    except ValidationError:
        return ""
    min_x, min_y, max_x, max_y = shape.bounds
    shrink = math.cos(math.radians((min_y + max_y) / 2))
    span_x, span_y = max((max_x - min_x) * shrink, 1e-12), max(max_y - min_y, 1e-12)
    scale = min((SVG_WIDTH - 2 * SVG_PAD) / span_x, (SVG_HEIGHT - 2 * SVG_PAD) / span_y)
    polygons = shape.geoms if isinstance(shape, MultiPolygon) else [shape]
    parts: list[str] = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [
                f"{SVG_PAD + (x - min_x) * shrink * scale:.1f},"
                f"{SVG_HEIGHT - SVG_PAD - (y - min_y) * scale:.1f}"
                for x, y in ring.coords
            ]
            parts.append("M" + " L".join(points) + " Z")
    return " ".join(parts)


def _filtered(request: AuthedRequest) -> QuerySet[ProductionBase]:
    params = request.GET
    return selectors.base_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        producer=int_param(request, "producer"),
        product=int_param(request, "product"),
        kind=params.get("kind", ""),
        status=params.get("status", ""),
        flagged=flag_param(request, "flagged"),
    )


@login_required
def base_list(request: AuthedRequest) -> HttpResponseBase:
    staff(request)
    context = {
        "params": request.GET,
        "kinds": BaseKind.choices,
        "statuses": BaseStatus.choices,
        "products": selectors.base_product_choices(user=request.user),
        "can_create": can_manage_bases(request.user),
        **paginate(request, _filtered(request)),
    }
    return render(request, "producers/base_list.html", context)


@login_required
def base_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    base = selectors.base_get_for_user(user=request.user, pk=pk)
    context = {
        "base": base,
        "area_hectares": hectares(base.area_mu),
        "boundary_hectares": hectares(base.boundary_area_mu),
        "area_warning": area_warning(base.area_mu, base.boundary_area_mu),
        "svg_path": boundary_svg_path(base.boundary),
        "svg_size": (SVG_WIDTH, SVG_HEIGHT),
        "can_manage": can_manage_bases(request.user, base.producer),
        "status_form": BaseStatusForm(allowed=services.base_next_statuses(base)),
    }
    return render(request, "producers/base_detail.html", context)


def _divisions(request: AuthedRequest, producers: QuerySet[Producer]) -> QuerySet[Division]:
    """The producers' counties and the counties of the user's scope."""
    return Division.objects.filter(
        Q(pk__in=producers.values("division_id"))
        | Q(pk__in=scope_for(request.user).division_ids, level=DivisionLevel.COUNTY)
    ).order_by("code")


def _form(request: AuthedRequest, base: ProductionBase | None) -> BaseForm:
    producers: QuerySet[Producer]
    if base is not None:
        producers = Producer.objects.filter(pk=base.producer_id)
        products = base.producer.products.all()
    else:
        producers = selectors.producer_manageable_for_user(user=request.user)
        products = GIProduct.objects.filter(producers__in=producers.values("pk")).distinct()
    initial: dict[str, Any] | None = None
    if base is None and (chosen := int_param(request, "producer")):
        initial = {"producer": chosen}
    return BaseForm(
        request.POST or None,
        request.FILES or None,
        base=base,
        producers=producers,
        products=products.order_by("name"),
        divisions=_divisions(request, producers),
        **({"initial": initial} if initial else {}),
    )


def _saved(request: AuthedRequest, base: ProductionBase) -> HttpResponseBase:
    messages.success(request, f"基地“{base.name}”已保存。")
    warning = area_warning(base.area_mu, base.boundary_area_mu)
    if warning:
        messages.warning(request, warning)
    if base.outside_protected_area:
        messages.warning(request, "该基地超出产品的地域保护范围，请核对位置或边界。")
    return redirect("producers:base-detail", pk=base.pk)


@login_required
def base_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_manage_bases(request.user))
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        try:
            base = services.base_create(
                actor=request.user,
                producer=form.cleaned_data["producer"],
                data=form.to_input(),
                status=form.cleaned_data["status"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _saved(request, base)
    return render(request, "producers/base_form.html", {"form": form, "base": None})


@login_required
def base_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    base = selectors.base_get_for_user(user=request.user, pk=pk)
    require(can_manage_bases(request.user, base.producer))
    form = _form(request, base)
    if request.method == "POST" and form.is_valid():
        try:
            base = services.base_update(actor=request.user, base=base, data=form.to_input())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _saved(request, base)
    return render(request, "producers/base_form.html", {"form": form, "base": base})


@require_POST
@login_required
def base_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    base = selectors.base_get_for_user(user=request.user, pk=pk)
    require(can_manage_bases(request.user, base.producer))
    form = BaseStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态。")
    else:
        try:
            base = services.base_set_status(
                actor=request.user, base=base, status=form.cleaned_data["status"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"基地状态已改为“{base.get_status_display()}”。")
    return redirect("producers:base-detail", pk=pk)


urlpatterns: list[URLPattern] = [
    path("bases/", base_list, name="base-list"),
    path("bases/new/", base_create, name="base-create"),
    path("bases/<int:pk>/", base_detail, name="base-detail"),
    path("bases/<int:pk>/edit/", base_edit, name="base-edit"),
    path("bases/<int:pk>/status/", base_status, name="base-status"),
]
