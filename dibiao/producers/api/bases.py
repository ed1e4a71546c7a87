"""API v1: production bases (核心生产基地 / 特色品种繁育基地)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core import geometry
from dibiao.core.api import ListApi, int_query_param, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.models import Division
from dibiao.producers import selectors
from dibiao.producers.api.common import (
    BaseProductField,
    ProducersRefOutput,
    ScopedProducerField,
    require,
)
from dibiao.producers.choices import BaseKind, BaseStatus
from dibiao.producers.models import ProductionBase
from dibiao.producers.permissions import can_manage_bases
from dibiao.producers.rules import area_warning
from dibiao.producers.services import bases as services
from dibiao.producers.services.bases import INITIAL_STATUSES, BaseInput

MU_PER_HECTARE = Decimal(15)


class ProductionBaseOutput(serializers.ModelSerializer[ProductionBase]):
    producer = ProducersRefOutput(read_only=True)
    product = ProducersRefOutput(read_only=True)
    kind_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    division = serializers.CharField(source="division.code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    area_hectares = serializers.SerializerMethodField(help_text="面积（公顷）")
    area_warning = serializers.SerializerMethodField(
        help_text="填报面积与边界计算面积相差超过 20% 时的提示；否则为空"
    )

    class Meta:
        model = ProductionBase
        fields = [
            "id",
            "producer",
            "product",
            "kind",
            "kind_display",
            "name",
            "division",
            "division_name",
            "address",
            "area_mu",
            "area_hectares",
            "longitude",
            "latitude",
            "boundary",
            "boundary_area_mu",
            "min_longitude",
            "max_longitude",
            "min_latitude",
            "max_latitude",
            "has_storage",
            "has_cold_chain",
            "facilities",
            "outside_protected_area",
            "area_warning",
            "status",
            "status_display",
            "created_at",
            "updated_at",
        ]

    def get_kind_display(self, obj: ProductionBase) -> str:
        return str(obj.get_kind_display())

    def get_status_display(self, obj: ProductionBase) -> str:
        return str(obj.get_status_display())

    def get_area_hectares(self, obj: ProductionBase) -> str:
        return f"{obj.area_mu / MU_PER_HECTARE:.2f}"

    def get_area_warning(self, obj: ProductionBase) -> str:
        return area_warning(obj.area_mu, obj.boundary_area_mu)


class ProductionBaseWriteInput(serializers.Serializer[Any]):
    product = BaseProductField(help_text="地理标志产品 id（须为该主体登记生产的产品）")
    kind = serializers.ChoiceField(choices=BaseKind.choices)
    name = serializers.CharField(max_length=100)
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        allow_null=True,
        help_text="所在县区划代码；不传为主体所在县",
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    area_mu = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    latitude = serializers.DecimalField(
        max_digits=8, decimal_places=6, required=False, allow_null=True
    )
    boundary = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="边界：WGS-84 经纬度的 GeoJSON 面（Polygon/MultiPolygon）文本",
    )
    has_storage = serializers.BooleanField(required=False, default=False)
    has_cold_chain = serializers.BooleanField(required=False, default=False)
    facilities = serializers.CharField(required=False, allow_blank=True)

    def validate_boundary(self, value: str) -> str:
        if value.strip():
            geometry.parse_polygon(value)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        current: ProductionBase | None = self.context.get("base")
        lon = attrs.get("longitude", current.longitude if current else None)
        lat = attrs.get("latitude", current.latitude if current else None)
        if (lon is None) != (lat is None):
            raise serializers.ValidationError(
                {"latitude" if lat is None else "longitude": ["经度和纬度需同时填写或同时留空。"]}
            )
        if lon is not None and lat is not None:
            try:
                geometry.point(lon, lat)
            except DjangoValidationError as exc:
                raise serializers.ValidationError({"longitude": exc.messages}) from exc
        return attrs


class ProductionBaseCreateInput(ProductionBaseWriteInput):
    producer = ScopedProducerField(help_text="经营主体 id")
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in BaseStatus if s in INITIAL_STATUSES],
        required=False,
        default=BaseStatus.ACTIVE,
    )


def _input(attrs: dict[str, Any], current: ProductionBase | None) -> BaseInput:
    """What was sent, over the base's current values (PATCH)."""
    fields = (
        "product",
        "kind",
        "name",
        "division",
        "address",
        "area_mu",
        "longitude",
        "latitude",
        "boundary",
        "has_storage",
        "has_cold_chain",
        "facilities",
    )
    if current is None:  # a new base: what was not sent takes BaseInput's defaults
        return BaseInput(**{f: attrs[f] for f in fields if f in attrs})
    values: dict[str, Any] = {f: attrs.get(f, getattr(current, f)) for f in fields}
    return BaseInput(**values)


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(ProductionBaseOutput(selectors.base_get_for_user(user=request.user, pk=pk)).data)


class BaseListApi(ListApi):
    serializer_class = ProductionBaseOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="基地、主体名称或位置"),
            OpenApiParameter("producer", int, description="经营主体 id"),
            OpenApiParameter("product", int, description="地理标志产品 id"),
            OpenApiParameter("kind", str, enum=BaseKind.values),
            OpenApiParameter("status", str, enum=BaseStatus.values),
            OpenApiParameter("flagged", bool, description="是否超出地域保护范围"),
        ],
        responses=ProductionBaseOutput(many=True),
        summary="生产基地列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        flagged = params.get("flagged", "").lower()
        rows = selectors.base_list_for_user(
            user=request.user,
            q=params.get("q", "").strip(),
            producer=int_query_param(request, "producer"),
            product=int_query_param(request, "product"),
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            flagged={"true": True, "1": True, "false": False, "0": False}.get(flagged),
        )
        return self.page_of(rows)

    @extend_schema(
        request=ProductionBaseCreateInput,
        responses={201: ProductionBaseOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记生产基地（主体本身、本县管理员、省级管理员）；自动计算边界面积并核查地域保护范围",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_manage_bases(request.user), "没有登记生产基地的权限。")
        attrs = dict(validated(ProductionBaseCreateInput, request))
        producer, initial = attrs.pop("producer"), attrs.pop("status")
        base = services.base_create(
            actor=request_user(request),
            producer=producer,
            data=_input(attrs, None),
            status=initial,
        )
        return Response(_out(request, base.pk), status=status.HTTP_201_CREATED)


class BaseDetailApi(APIView):
    @extend_schema(responses=ProductionBaseOutput, summary="生产基地详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_out(request, pk))

    @extend_schema(
        request=ProductionBaseWriteInput(partial=True),
        responses=ProductionBaseOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改生产基地；重新计算边界面积和地域保护范围核查",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        base = selectors.base_get_for_user(user=request.user, pk=pk)
        require(can_manage_bases(request.user, base.producer), "没有修改该基地的权限。")
        data = ProductionBaseWriteInput(
            data=request.data, partial=True, context={"request": request, "base": base}
        )
        data.is_valid(raise_exception=True)
        services.base_update(
            actor=request_user(request), base=base, data=_input(dict(data.validated_data), base)
        )
        return Response(_out(request, pk))


class ProductionBaseStatusInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=BaseStatus.choices)


class BaseStatusApi(APIView):
    @extend_schema(
        request=ProductionBaseStatusInput,
        responses=ProductionBaseOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="变更基地状态（在建→在用/停用，在用↔停用）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        base = selectors.base_get_for_user(user=request.user, pk=pk)
        require(can_manage_bases(request.user, base.producer), "没有变更该基地状态的权限。")
        attrs = validated(ProductionBaseStatusInput, request)
        services.base_set_status(actor=request_user(request), base=base, status=attrs["status"])
        return Response(_out(request, pk))


urlpatterns: list[URLPattern] = [
    path("bases/", BaseListApi.as_view(), name="api-base-list"),
    path("bases/<int:pk>/", BaseDetailApi.as_view(), name="api-base-detail"),
    path("bases/<int:pk>/status/", BaseStatusApi.as_view(), name="api-base-status"),
]
