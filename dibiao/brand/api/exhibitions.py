"""API v1: exhibitions and promotion events (展会/推介活动) — list, record, detail, change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.brand import selectors
from dibiao.brand.api.common import (
    BrandListQuery,
    BrandProductRef,
    BrandRecordOutput,
    ProductField,
    list_filters,
    require,
)
from dibiao.brand.choices import EventKind, EventLevel
from dibiao.brand.models import Exhibition
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import exhibitions as services
from dibiao.core.api import ListApi
from dibiao.core.idempotency import idempotent
from dibiao.core.models import Division
from dibiao.producers.api.common import IDEMPOTENCY_HEADER

VIEW_DENIED = "只有省级、市级、县级管理员和县人民政府可以查看展会和推介活动。"


class EventDivisionOutput(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.STR)
class EventDivisionField(serializers.SlugRelatedField[Division]):
    """Where the event was held in the province, by its 6-digit code."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> Any:
        return selectors.event_division_choices()


class ExhibitionOutput(BrandRecordOutput, serializers.ModelSerializer[Exhibition]):
    products = BrandProductRef(many=True, read_only=True)
    division = EventDivisionOutput(read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Exhibition
        fields = [
            "id",
            "kind",
            "kind_display",
            "name",
            "level",
            "level_display",
            "start_on",
            "end_on",
            "place",
            "division",
            "products",
            "deals_count",
            "deals_amount",
            "notes",
            "recorded_by",
            "created_at",
            "updated_at",
            "page_url",
        ]


class ExhibitionInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=EventKind.choices, default=EventKind.EXPO)
    name = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=EventLevel.choices)
    start_on = serializers.DateField()
    end_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    division = EventDivisionField(
        required=False, allow_null=True, help_text="省内举办地的区划代码；省外为 null"
    )
    products = serializers.ListField(
        child=ProductField(),
        min_length=1,
        max_length=services.MAX_PRODUCTS,
        help_text="参展产品 id；修改时只列出您数据范围内的，其他县的参展产品保留",
    )
    deals_count = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    deals_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, default=Decimal(0), help_text="万元"
    )
    notes = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_on"), attrs.get("end_on")
        if start and end and end < start:
            raise serializers.ValidationError({"end_on": ["结束日期不能早于开始日期。"]})
        return attrs


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(ExhibitionOutput(selectors.exhibition_get_for_user(user=request.user, pk=pk)).data)


class ExhibitionQuery(BrandListQuery):
    level = serializers.ChoiceField(choices=EventLevel.choices, required=False)


class ExhibitionListApi(ListApi):
    serializer_class = ExhibitionOutput

    @extend_schema(
        parameters=[ExhibitionQuery],
        responses=ExhibitionOutput(many=True),
        summary="展会/推介活动列表（展出了数据范围内产品的活动；year 按开始日期）",
    )
    def get(self, request: Request) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        query = ExhibitionQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.exhibition_list_for_user(user=request.user, **list_filters(query))
        return self.page_of(rows)

    @extend_schema(
        request=ExhibitionInput,
        responses={201: ExhibitionOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记展会/推介活动",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_record_brand(request.user), services.WRITE_DENIED)
        data = dict(_validated(request, partial=False, current=[]))
        products = data.pop("products")
        exhibition = services.exhibition_create(
            actor=request_user(request), data=data, products=products
        )
        return Response(_out(request, exhibition.pk), status=status.HTTP_201_CREATED)


def _validated(request: Request, *, partial: bool, current: list[int]) -> Any:
    context = {"request": request, "current_products": current}
    data = ExhibitionInput(data=request.data, partial=partial, context=context)
    data.is_valid(raise_exception=True)
    return data.validated_data


class ExhibitionDetailApi(APIView):
    @extend_schema(responses=ExhibitionOutput, summary="展会/推介活动详情")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        return Response(_out(request, pk))

    @extend_schema(
        request=ExhibitionInput,
        responses=ExhibitionOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改展会/推介活动（部分字段）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        exhibition = selectors.exhibition_get_for_user(user=request.user, pk=pk)
        require(can_record_brand(request.user), services.WRITE_DENIED)
        current = [p.pk for p in exhibition.products.all()]
        data = dict(_validated(request, partial=True, current=current))
        products = data.pop("products", None)
        services.exhibition_update(
            actor=request_user(request), exhibition=exhibition, data=data, products=products
        )
        return Response(_out(request, pk))


urlpatterns = [
    path("brand/exhibitions/", ExhibitionListApi.as_view(), name="api-brand-exhibition-list"),
    path(
        "brand/exhibitions/<int:pk>/",
        ExhibitionDetailApi.as_view(),
        name="api-brand-exhibition-detail",
    ),
]
