"""API v1: promotional videos (宣传片) — list, record, detail, change."""

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
from dibiao.brand.models import MAX_VIDEO_SECONDS, PromoVideo
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import videos as services

VIEW_DENIED = "只有省级、市级、县级管理员和县人民政府可以查看宣传片。"


class VideoOutput(BrandRecordOutput, serializers.ModelSerializer[PromoVideo]):
    product = BrandProductRef(read_only=True)
    duration_text = serializers.CharField(read_only=True, help_text="如 5分30秒")
    link_list = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="链接"
    )

    class Meta:
        model = PromoVideo
        fields = [
            "id",
            "product",
            "title",
            "duration_seconds",
            "duration_text",
            "published_on",
            "platforms",
            "link_list",
            "notes",
            "recorded_by",
            "created_at",
            "updated_at",
            "page_url",
        ]


class VideoInput(serializers.Serializer[Any]):
    product = ProductField(help_text="产品 id")
    title = serializers.CharField(max_length=200)
    duration_seconds = serializers.IntegerField(min_value=1, max_value=MAX_VIDEO_SECONDS)
    published_on = serializers.DateField()
    platforms = serializers.CharField(max_length=300)
    links = serializers.ListField(
        child=serializers.CharField(max_length=500),
        required=False,
        max_length=services.MAX_LINKS,
        help_text="http/https 网址",
    )
    notes = serializers.CharField(required=False, allow_blank=True)

    def validate_links(self, value: list[str]) -> str:
        return "\n".join(value)


KIND = BrandKind(
    output=VideoOutput,
    list_output=VideoOutput,
    input=VideoInput,
    query=BrandListQuery,
    can_view=can_view_brand,
    view_denied=VIEW_DENIED,
    can_write=can_record_brand,
    write_denied=services.WRITE_DENIED,
    list_rows=selectors.video_list_for_user,
    get_row=selectors.video_get_for_user,
    create=lambda actor, data: services.video_create(actor=actor, data=data),
    update=lambda actor, row, data: services.video_update(actor=actor, video=row, data=data),
)


@list_schema(KIND, list_summary="宣传片列表（数据范围内）", create_summary="登记宣传片")
class VideoListApi(BrandListApi):
    serializer_class = VideoOutput
    kind = KIND


@detail_schema(KIND, detail_summary="宣传片详情", update_summary="修改宣传片（部分字段）")
class VideoDetailApi(BrandDetailApi):
    kind = KIND


urlpatterns = [
    path("brand/videos/", VideoListApi.as_view(), name="api-brand-video-list"),
    path("brand/videos/<int:pk>/", VideoDetailApi.as_view(), name="api-brand-video-detail"),
]
