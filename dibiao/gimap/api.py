"""API v1: the map (一张图). Staff endpoints under map/ answer in the caller's scope; their twins
under public/map/ need no login and show the public layers only.

Layers and boundaries are GeoJSON (application/geo+json, WGS-84); measures, county figures
and the point look-up are JSON. Every refusal is {code, message}.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import int_query_param
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.gimap import checks, layers, measures
from dibiao.gimap.errors import GimapError
from dibiao.gimap.permissions import can_view_map
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

GEOJSON = "application/geo+json"
DRAWN_LEVELS = (DivisionLevel.CITY, DivisionLevel.COUNTY)


def _division(raw: str | None, name: str) -> Division | None:
    text = (raw or "").strip()
    if not text:
        return None
    # Not the model's validator: its \d also takes full-width digits.
    if not (len(text) == 6 and text.isascii() and text.isdigit()):
        raise GimapError("invalid_division", f"{name}：行政区划代码应为 6 位数字。")
    division = Division.objects.select_related("parent").filter(code=text).first()
    if division is None:
        raise NotFoundError("未找到该行政区划。")
    return division


def _product(request: Request, public: bool) -> GIProduct | None:
    pk = int_query_param(request, "product")
    if pk is None:
        return None
    visible = Q(status=ProductStatus.REGISTERED)
    if not public:
        visible |= Q(pk__in=GIProduct.objects.restrict(request.user).values("pk"))
    product = GIProduct.objects.filter(visible, pk=pk).first()
    if product is None:
        raise NotFoundError("未找到该产品。")
    return product


def _geojson(content: bytes, filename: str = "") -> HttpResponse:
    response = HttpResponse(content, content_type=GEOJSON)
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _StaffMapApi(APIView):
    public = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not self.public and not can_view_map(request_user(request)):
            raise ForbiddenError("没有查看一张图的权限。")


class _PublicMapApi(_StaffMapApi):
    public = True
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


DIVISION_PARAMETERS = [
    OpenApiParameter("level", str, enum=list(DRAWN_LEVELS), description="county（默认）或 city"),
    OpenApiParameter("parent", str, description="可选：上级行政区划代码（6 位），只取其下级"),
]
LAYER_FILTERS = [
    OpenApiParameter("division", str, description="可选：行政区划代码，只取该区划及其下级"),
    OpenApiParameter("product", int, description="可选：地理标志产品 id"),
    OpenApiParameter("download", int, description="1：作为附件 <图层>-<区划>.geojson 下载"),
]
LAYER_PARAMETERS = [
    OpenApiParameter("layer", str, OpenApiParameter.PATH, enum=list(layers.LAYERS)),
    *LAYER_FILTERS,
]
PUBLIC_LAYER_PARAMETERS = [
    OpenApiParameter("layer", str, OpenApiParameter.PATH, enum=sorted(layers.PUBLIC_LAYERS)),
    *LAYER_FILTERS,
]
GEOJSON_RESPONSE = {(200, GEOJSON): OpenApiTypes.OBJECT}


class _DivisionsMixin:
    def _answer(self, request: Request) -> HttpResponse:
        level = request.query_params.get("level", DivisionLevel.COUNTY).strip()
        if level not in DRAWN_LEVELS:
            raise GimapError("invalid_level", "level 应为 county 或 city。")
        parent = _division(request.query_params.get("parent"), "parent")
        return _geojson(layers.dump(layers.division_collection(level, parent=parent)))


class DivisionsApi(_DivisionsMixin, _StaffMapApi):
    @extend_schema(
        summary="行政区划边界（GeoJSON）",
        parameters=DIVISION_PARAMETERS,
        responses=GEOJSON_RESPONSE,
    )
    def get(self, request: Request) -> HttpResponse:
        return self._answer(request)


class PublicDivisionsApi(_DivisionsMixin, _PublicMapApi):
    @extend_schema(
        summary="公开：行政区划边界（GeoJSON）",
        auth=[],
        parameters=DIVISION_PARAMETERS,
        responses=GEOJSON_RESPONSE,
    )
    def get(self, request: Request) -> HttpResponse:
        return self._answer(request)


class LayerApi(_StaffMapApi):
    @extend_schema(
        summary="图层（GeoJSON，限本人可见范围）；?download=1 导出",
        parameters=LAYER_PARAMETERS,
        responses=GEOJSON_RESPONSE,
    )
    def get(self, request: Request, layer: str) -> HttpResponse:
        layers.check_layer(layer, public=False)
        division = _division(request.query_params.get("division"), "division")
        product = _product(request, public=False)
        user = request_user(request)
        if request.query_params.get("download", "").strip() in ("1", "true"):
            name, content = layers.layer_export(user, layer, division=division, product=product)
            return _geojson(content, filename=name)
        collection = layers.layer_collection(user, layer, division=division, product=product)
        return _geojson(layers.dump(collection))


class PublicLayerApi(_PublicMapApi):
    @extend_schema(
        summary="公开：图层（GeoJSON，仅公开图层）",
        auth=[],
        parameters=PUBLIC_LAYER_PARAMETERS,
        responses=GEOJSON_RESPONSE,
    )
    def get(self, request: Request, layer: str) -> HttpResponse:
        layers.check_layer(layer, public=True)
        division = _division(request.query_params.get("division"), "division")
        product = _product(request, public=True)
        collection = layers.layer_collection(
            None, layer, division=division, product=product, public=True
        )
        where = division.code if division is not None else "all"
        download = request.query_params.get("download", "").strip() in ("1", "true")
        return _geojson(
            layers.dump(collection), filename=f"{layer}-{where}.geojson" if download else ""
        )


class MapMeasureOutput(serializers.Serializer[Any]):
    measure = serializers.CharField()
    name = serializers.CharField(help_text="指标名称")
    values = serializers.DictField(
        child=serializers.IntegerField(), help_text="县级区划代码 → 数值（没有的县不列出，即 0）"
    )


MEASURE_PARAMETERS = [
    OpenApiParameter("measure", str, OpenApiParameter.PATH, enum=list(measures.MEASURES)),
]


def _measure(request: Request, measure: str, public: bool) -> Response:
    user = None if public else request_user(request)
    values = measures.county_measures(user, measure, public=public)
    return Response({"measure": measure, "name": measures.MEASURES[measure], "values": values})


class MeasureApi(_StaffMapApi):
    @extend_schema(
        summary="各县指标（限本人可见范围）",
        parameters=MEASURE_PARAMETERS,
        responses=MapMeasureOutput,
    )
    def get(self, request: Request, measure: str) -> Response:
        return _measure(request, measure, public=False)


class PublicMeasureApi(_PublicMapApi):
    @extend_schema(
        summary="公开：各县指标", auth=[], parameters=MEASURE_PARAMETERS, responses=MapMeasureOutput
    )
    def get(self, request: Request, measure: str) -> Response:
        return _measure(request, measure, public=True)


class MapPlaceOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=DivisionLevel.choices)
    parent_code = serializers.CharField()


class MapProductRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()


class MapCountyFiguresOutput(serializers.Serializer[Any]):
    division = MapPlaceOutput()
    products = MapProductRefOutput(many=True)
    producers = serializers.IntegerField(allow_null=True, help_text="公开接口为 null")
    authorized = serializers.IntegerField(help_text="今日有效的授权用标主体数")
    bases = serializers.IntegerField()
    bases_area_mu = serializers.DecimalField(max_digits=16, decimal_places=2)
    bases_area_hectares = serializers.DecimalField(max_digits=16, decimal_places=4)
    labs = serializers.IntegerField(allow_null=True)
    trainings = serializers.IntegerField(allow_null=True)
    training_attendees = serializers.IntegerField(allow_null=True)
    scans = serializers.IntegerField()
    certificates = serializers.IntegerField(allow_null=True)


def _figures(request: Request, code: str, public: bool) -> Response:
    division = _division(code, "code")
    if division is None:
        raise NotFoundError("未找到该行政区划。")
    user = None if public else request_user(request)
    data = measures.county_figures(user, division, public=public)
    return Response(MapCountyFiguresOutput(data).data)


class CountyFiguresApi(_StaffMapApi):
    @extend_schema(summary="县（市、区）概况（限本人可见范围）", responses=MapCountyFiguresOutput)
    def get(self, request: Request, code: str) -> Response:
        return _figures(request, code, public=False)


class PublicCountyFiguresApi(_PublicMapApi):
    @extend_schema(summary="公开：县（市、区）概况", auth=[], responses=MapCountyFiguresOutput)
    def get(self, request: Request, code: str) -> Response:
        return _figures(request, code, public=True)


class MapLocateOutput(serializers.Serializer[Any]):
    longitude = serializers.CharField()
    latitude = serializers.CharField()
    county = MapPlaceOutput()
    city = MapPlaceOutput(allow_null=True)


LOCATE_PARAMETERS = [
    OpenApiParameter("lon", str, required=True, description="WGS-84 经度，如 112.175"),
    OpenApiParameter("lat", str, required=True, description="WGS-84 纬度，如 37.20"),
]


def _place(division: Division | None) -> dict[str, str] | None:
    if division is None:
        return None
    parent = division.parent
    return {
        "code": division.code,
        "name": division.name,
        "level": division.level,
        "parent_code": parent.code if parent is not None else "",
    }


def _locate(request: Request) -> Response:
    lon, lat = request.query_params.get("lon"), request.query_params.get("lat")
    county = checks.locate(lon, lat)
    return Response(
        MapLocateOutput(
            {
                "longitude": (lon or "").strip(),
                "latitude": (lat or "").strip(),
                "county": _place(county),
                "city": _place(county.parent),
            }
        ).data
    )


class LocateApi(_StaffMapApi):
    @extend_schema(
        summary="坐标所在县（市、区）", parameters=LOCATE_PARAMETERS, responses=MapLocateOutput
    )
    def get(self, request: Request) -> Response:
        return _locate(request)


class PublicLocateApi(_PublicMapApi):
    @extend_schema(
        summary="公开：坐标所在县（市、区）",
        auth=[],
        parameters=LOCATE_PARAMETERS,
        responses=MapLocateOutput,
    )
    def get(self, request: Request) -> Response:
        return _locate(request)


urlpatterns: list[URLPattern] = []
for prefix, name, staff, public in (
    ("map/divisions/", "divisions", DivisionsApi, PublicDivisionsApi),
    ("map/layers/<str:layer>/", "layer", LayerApi, PublicLayerApi),
    ("map/measures/<str:measure>/", "measure", MeasureApi, PublicMeasureApi),
    ("map/counties/<str:code>/", "county", CountyFiguresApi, PublicCountyFiguresApi),
    ("map/locate/", "locate", LocateApi, PublicLocateApi),
):
    urlpatterns += [
        path(prefix, staff.as_view(), name=f"api-map-{name}"),
        path(f"public/{prefix}", public.as_view(), name=f"api-public-map-{name}"),
    ]
