"""API v1: promotional videos (宣传片) — list, record, detail, change."""

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
from dibiao.brand.models import MAX_VIDEO_SECONDS, PromoVideo
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import videos as services
from dibiao.core.api import ListApi
from dibiao.core.idempotency import idempotent
from dibiao.producers.api.common import IDEMPOTENCY_HEADER

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


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(VideoOutput(selectors.video_get_for_user(user=request.user, pk=pk)).data)


class VideoListApi(ListApi):
    serializer_class = VideoOutput

    @extend_schema(
        parameters=[BrandListQuery],
        responses=VideoOutput(many=True),
        summary="宣传片列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        query = BrandListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.video_list_for_user(user=request.user, **list_filters(query))
        return self.page_of(rows)

    @extend_schema(
        request=VideoInput,
        responses={201: VideoOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记宣传片",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_record_brand(request.user), services.WRITE_DENIED)
        data = VideoInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        video = services.video_create(actor=request_user(request), data=data.validated_data)
        return Response(_out(request, video.pk), status=status.HTTP_201_CREATED)


class VideoDetailApi(APIView):
    @extend_schema(responses=VideoOutput, summary="宣传片详情")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_brand(request.user), VIEW_DENIED)
        return Response(_out(request, pk))

    @extend_schema(
        request=VideoInput,
        responses=VideoOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改宣传片（部分字段）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        video = selectors.video_get_for_user(user=request.user, pk=pk)
        require(can_record_brand(request.user), services.WRITE_DENIED)
        context = {"request": request, "current_products": [video.product_id]}
        data = VideoInput(data=request.data, partial=True, context=context)
        data.is_valid(raise_exception=True)
        services.video_update(actor=request_user(request), video=video, data=data.validated_data)
        return Response(_out(request, pk))


urlpatterns = [
    path("brand/videos/", VideoListApi.as_view(), name="api-brand-video-list"),
    path("brand/videos/<int:pk>/", VideoDetailApi.as_view(), name="api-brand-video-detail"),
]
