"""API v1: exhibitions and promotion events (展会/推介活动) — list, record, detail, change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dibiao.brand import selectors
from dibiao.brand.api.common import (
    BrandDetailApi,
    BrandKind,
    BrandListApi,
    BrandListQuery,
    BrandProductRef,
    BrandRecordOutput,
    ProductField,
    detail_schema,
    list_schema,
)
from dibiao.brand.choices import EventKind, EventLevel
from dibiao.brand.models import Exhibition
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import exhibitions as services
from dibiao.core.models import Division

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


class ExhibitionQuery(BrandListQuery):
    level = serializers.ChoiceField(choices=EventLevel.choices, required=False)


def _create(actor: Any, data: dict[str, Any]) -> Exhibition:
    products = data.pop("products")
    return services.exhibition_create(actor=actor, data=data, products=products)


def _update(actor: Any, exhibition: Exhibition, data: dict[str, Any]) -> None:
    products = data.pop("products", None)
    services.exhibition_update(actor=actor, exhibition=exhibition, data=data, products=products)


KIND = BrandKind(
    output=ExhibitionOutput,
    list_output=ExhibitionOutput,
    input=ExhibitionInput,
    query=ExhibitionQuery,
    can_view=can_view_brand,
    view_denied=VIEW_DENIED,
    can_write=can_record_brand,
    write_denied=services.WRITE_DENIED,
    list_rows=selectors.exhibition_list_for_user,
    get_row=selectors.exhibition_get_for_user,
    create=_create,
    update=_update,
    current_products=lambda exhibition: [p.pk for p in exhibition.products.all()],
)


@list_schema(
    KIND,
    list_summary="展会/推介活动列表（展出了数据范围内产品的活动；year 按开始日期）",
    create_summary="登记展会/推介活动",
)
class ExhibitionListApi(BrandListApi):
    serializer_class = ExhibitionOutput
    kind = KIND


@detail_schema(
    KIND, detail_summary="展会/推介活动详情", update_summary="修改展会/推介活动（部分字段）"
)
class ExhibitionDetailApi(BrandDetailApi):
    kind = KIND


urlpatterns = [
    path("brand/exhibitions/", ExhibitionListApi.as_view(), name="api-brand-exhibition-list"),
    path(
        "brand/exhibitions/<int:pk>/",
        ExhibitionDetailApi.as_view(),
        name="api-brand-exhibition-detail",
    ),
]
