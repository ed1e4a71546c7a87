"""Pages of the map (一张图, issue 7).

Staff, signed in: /map/ (the province's 117 counties shaded by a chosen measure, the product
counties outlined; a county opens its map), /map/county/<code>/ (the county's boundary and its
layers with a side panel of its figures) and /map/county/<code>/print.png|.pdf (the printable
map, printing.py). A government user opens only the counties of its own subtree: another's is
not found (404), like any row out of scope. A producer or lab may open any county and is shown
its own organization's rows there (permissions.can_view_division).

Public, no login: /public/map/ and /public/map/county/<code>/, the public layers only.

The pages are shells: map.js draws them from the map API (`/api/v1/map/…`, or
`/api/v1/public/map/…` for the public pages), so what a page shows is exactly what the API
gives the same user, and the GeoJSON downloads are the same documents.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from dibiao.accounts.http import AuthedRequest
from dibiao.core.boundaries import boundary_replace
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import DomainError
from dibiao.core.models import Division
from dibiao.core.params import parse_id
from dibiao.core.permissions import can_edit_boundaries
from dibiao.core.uploads import clean_filename
from dibiao.gimap import permissions, printing
from dibiao.gimap.forms import BoundaryUploadForm
from dibiao.gimap.layers import LAYER_LABELS, LAYERS, PUBLIC_LAYERS
from dibiao.gimap.measures import MEASURES, county_figures
from dibiao.gimap.selectors import products_for_map

DEFAULT_MEASURE = "products"
PLACEHOLDER_CODE = "000000"  # replaced by map.js with the clicked county's code


def _api(*, public: bool) -> dict[str, str]:
    """The map API's addresses for map.js, with placeholders it fills in."""
    prefix = "api-public-map-" if public else "api-map-"
    return {
        "divisions": reverse(f"{prefix}divisions"),
        "measure": reverse(f"{prefix}measure", args=["__measure__"]),
        "layer": reverse(f"{prefix}layer", args=["__layer__"]),
    }


def _staff(request: HttpRequest) -> None:
    if not permissions.can_view_map(request.user):
        raise PermissionDenied


def _county(user: Any, code: str, *, public: bool) -> Division:
    """The county of `code`, if this user may open its map (anyone, on the public map)."""
    county = (
        Division.objects.select_related("parent__parent")
        .filter(code=code, level=DivisionLevel.COUNTY)
        .first()
    )
    if county is None or not (public or permissions.can_view_division(user, county)):
        raise Http404("没有这个县（市、区）的地图。")
    return county


def _counties(user: Any, *, public: bool) -> list[Division]:
    """The counties whose map this user may open (117 rows; the scope is read once)."""
    counties = Division.objects.filter(level=DivisionLevel.COUNTY).select_related("parent")
    return [
        county
        for county in counties.order_by("code")
        if public or permissions.can_view_division(user, county)
    ]


def _province(request: HttpRequest, *, public: bool) -> HttpResponse:
    measure = request.GET.get("measure", "")
    if measure not in MEASURES:
        measure = DEFAULT_MEASURE
    counties = _counties(request.user, public=public)
    county_name = "gimap:public-map-county" if public else "gimap:map-county"
    config = {
        "page": "province",
        "public": public,
        "api": _api(public=public),
        "measures": MEASURES,
        "countyUrl": reverse(county_name, args=[PLACEHOLDER_CODE]),
        "openable": [county.code for county in counties],
        "tileUrl": settings.DIBIAO_MAP_TILE_URL,
    }
    context = {
        "config": config,
        "public": public,
        "measures": MEASURES,
        "measure": measure,
        "counties": counties,
    }
    return render(request, "gimap/province_map.html", context)


def _county_page(request: HttpRequest, code: str, *, public: bool) -> HttpResponse:
    county = _county(request.user, code, public=public)
    layers = [layer for layer in LAYERS if not public or layer in PUBLIC_LAYERS]
    products = list(
        products_for_map(user=request.user, public=public)
        .filter(divisions=county)
        .order_by("name")
        .only("pk", "name")
    )
    product_id = parse_id(request.GET.get("product"))
    selected = next((p for p in products if p.pk == product_id), None)
    api = _api(public=public)
    county_name = "gimap:public-map-county" if public else "gimap:map-county"
    config = {
        "page": "county",
        "public": public,
        "api": api,
        "county": {
            "code": county.code,
            "name": county.name,
            "parent": county.parent.code if county.parent else "",
        },
        "layers": layers,
        "countyUrl": reverse(county_name, args=[PLACEHOLDER_CODE]),
        "openable": [c.code for c in _counties(request.user, public=public)],
        "tileUrl": settings.DIBIAO_MAP_TILE_URL,
    }
    downloads = [
        (
            LAYER_LABELS[layer],
            f"{api['layer'].replace('__layer__', layer)}?division={county.code}&download=1",
        )
        for layer in layers
    ]
    context = {
        "config": config,
        "public": public,
        "county": county,
        "layers": [(layer, LAYER_LABELS[layer]) for layer in layers],
        "products": products,
        "selected": selected,
        "figures": county_figures(request.user, county, public=public),
        "can_edit_boundary": not public and can_edit_boundaries(request.user),
        "downloads": downloads,
        "province_url": reverse("gimap:public-map-province" if public else "gimap:map-province"),
    }
    return render(request, "gimap/county_map.html", context)


@login_required
@require_GET
def province_map(request: AuthedRequest) -> HttpResponse:
    _staff(request)
    return _province(request, public=False)


@login_required
@require_GET
def county_map(request: AuthedRequest, code: str) -> HttpResponse:
    _staff(request)
    return _county_page(request, code, public=False)


@login_required
@require_GET
def county_print(request: AuthedRequest, code: str, fmt: str) -> HttpResponse:
    """The printable map, rendered on request (under a second)."""
    _staff(request)
    county = _county(request.user, code, public=False)
    product_id = parse_id(request.GET.get("product"))
    product = None
    if product_id is not None:
        product = products_for_map(user=request.user, public=False).filter(pk=product_id).first()
    data = printing.county_print(
        user=request.user, county=county, product=product, printed_at=timezone.localtime()
    )
    if fmt == "pdf":
        body, content_type = printing.render_pdf(data), "application/pdf"
    else:
        body, content_type = printing.render_png(data), "image/png"
    response = HttpResponse(body, content_type=content_type)
    filename = f"{county.name}地理标志一张图{'-' + product.name if product else ''}.{fmt}"
    response["Content-Disposition"] = (
        content_disposition_header(False, clean_filename(filename)) or "inline"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def public_province_map(request: HttpRequest) -> HttpResponse:
    return _province(request, public=True)


@require_GET
def public_county_map(request: HttpRequest, code: str) -> HttpResponse:
    return _county_page(request, code, public=True)


@login_required
@require_http_methods(["GET", "POST"])
def boundary_upload(request: AuthedRequest, code: str) -> HttpResponse:
    """The province replaces a division's boundary with an uploaded GeoJSON (e.g. an official
    one); `core.boundaries.boundary_replace` validates, writes and audits it."""
    if not can_edit_boundaries(request.user):
        raise PermissionDenied
    division = Division.objects.filter(code=code).select_related("boundary").first()
    if division is None:
        raise Http404
    back_url = (
        reverse("gimap:map-county", args=[division.code])
        if division.level == DivisionLevel.COUNTY
        else reverse("gimap:map-province")
    )
    form = BoundaryUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            boundary_replace(
                actor=request.user,
                division=division,
                text=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"已替换“{division.name}”的边界。")
            return redirect(back_url)
    boundary = getattr(division, "boundary", None)
    return render(
        request,
        "gimap/boundary_form.html",
        {"division": division, "boundary": boundary, "form": form, "back_url": back_url},
        status=400 if request.method == "POST" else 200,
    )
