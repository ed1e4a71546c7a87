"""API v1: media reports (媒体报道) — list, record, detail, change."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
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
from dibiao.brand.choices import MediaLevel
from dibiao.brand.models import MediaReport
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import reports as services
from dibiao.core.api import ListApi
from dibiao.core.idempotency import idempotent
from dibiao.producers.api.common import IDEMPOTENCY_HEADER

VIEW_DENIED = "只有省级、市级、县级管理员和县人民政府可以查看媒体报道。"


class MediaReportOutput(BrandRecordOutput, serializers.ModelSerializer[MediaReport]):
    product = BrandProductRef(read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = MediaReport
        fields = [
            "id",
            "product",
            "outlet",
            "level",
            "level_display",
            "published_on",
            "title",
            "link",
            "notes",
            "recorded_by",
            "created_at",
            "updated_at",
            "page_url",
        ]


class MediaReportInput(serializers.Serializer[Any]):
    product = ProductField(help_text="产品 id")
    outlet = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=MediaLevel.choices)
    published_on = serializers.DateField()
    title = serializers.CharField(max_length=200)
    link = serializers.URLField(max_length=500, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class MediaReportQuery(BrandListQuery):
    level = serializers.ChoiceField(choices=MediaLevel.choices, required=False)


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(MediaReportOutput(selectors.report_get_for_user(user=request.user, pk=pk)).data)


class MediaReportListApi(ListApi):
    serializer_class = MediaReportOutput

    @extend_schema(
        parameters=[MediaReportQuery],
        responses=MediaReportOutput(many=True),
        summary="媒体报道列表（数据范围内；可按产品、级别、年度和关键词筛选）",
    )
    def get(self, request: Request) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        query = MediaReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.report_list_for_user(user=request.user, **list_filters(query))
        return self.page_of(rows)

    @extend_schema(
        request=MediaReportInput,
        responses={201: MediaReportOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记媒体报道（一条报道涉及多个产品时每个产品登记一条）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_record_brand(request.user), services.WRITE_DENIED)
        data = MediaReportInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        report = services.report_create(actor=request_user(request), data=data.validated_data)
        return Response(_out(request, report.pk), status=status.HTTP_201_CREATED)


class MediaReportDetailApi(APIView):
    @extend_schema(responses=MediaReportOutput, summary="媒体报道详情")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        return Response(_out(request, pk))

    @extend_schema(
        request=MediaReportInput,
        responses=MediaReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改媒体报道（部分字段）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        require(can_record_brand(request.user), services.WRITE_DENIED)
        context = {"request": request, "current_products": [report.product_id]}
        data = MediaReportInput(data=request.data, partial=True, context=context)
        data.is_valid(raise_exception=True)
        services.report_update(actor=request_user(request), report=report, data=data.validated_data)
        return Response(_out(request, pk))


urlpatterns = [
    path("brand/media-reports/", MediaReportListApi.as_view(), name="api-brand-report-list"),
    path(
        "brand/media-reports/<int:pk>/",
        MediaReportDetailApi.as_view(),
        name="api-brand-report-detail",
    ),
]
