"""API v1: media reports (媒体报道) — list, record, detail, change."""

from __future__ import annotations

from typing import Any

from django.urls import path
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
from dibiao.brand.choices import MediaLevel
from dibiao.brand.models import MediaReport
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import reports as services

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


KIND = BrandKind(
    output=MediaReportOutput,
    list_output=MediaReportOutput,
    input=MediaReportInput,
    query=MediaReportQuery,
    can_view=can_view_brand,
    view_denied=VIEW_DENIED,
    can_write=can_record_brand,
    write_denied=services.WRITE_DENIED,
    list_rows=selectors.report_list_for_user,
    get_row=selectors.report_get_for_user,
    create=lambda actor, data: services.report_create(actor=actor, data=data),
    update=lambda actor, row, data: services.report_update(actor=actor, report=row, data=data),
)


@list_schema(
    KIND,
    list_summary="媒体报道列表（数据范围内；可按产品、级别、年度和关键词筛选）",
    create_summary="登记媒体报道（一条报道涉及多个产品时每个产品登记一条）",
)
class MediaReportListApi(BrandListApi):
    serializer_class = MediaReportOutput
    kind = KIND


@detail_schema(KIND, detail_summary="媒体报道详情", update_summary="修改媒体报道（部分字段）")
class MediaReportDetailApi(BrandDetailApi):
    kind = KIND


urlpatterns = [
    path("brand/media-reports/", MediaReportListApi.as_view(), name="api-brand-report-list"),
    path(
        "brand/media-reports/<int:pk>/",
        MediaReportDetailApi.as_view(),
        name="api-brand-report-detail",
    ),
]
