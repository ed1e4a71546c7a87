"""API v1: historical and cultural stories (历史文化故事) — list, write, detail, change,
publish/withdraw. Images are uploaded on the story's page."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
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
from dibiao.brand.choices import StoryStatus
from dibiao.brand.models import BrandStory, StoryImage
from dibiao.brand.permissions import can_publish_stories, can_view_stories, can_write_stories
from dibiao.brand.services import stories as services
from dibiao.core.api import ListApi
from dibiao.core.idempotency import idempotent
from dibiao.producers.api.common import IDEMPOTENCY_HEADER

VIEW_DENIED = "只有管理员和产品的证书持有人可以查看历史文化故事。"


class StoryImageOutput(serializers.ModelSerializer[StoryImage]):
    url = serializers.SerializerMethodField(help_text="图片地址（需登录）")

    class Meta:
        model = StoryImage
        fields = ["id", "caption", "url"]

    def get_url(self, obj: StoryImage) -> str:
        return reverse("brand:story-image", args=[obj.story_id, obj.pk])


class StoryOutput(BrandRecordOutput, serializers.ModelSerializer[BrandStory]):
    product = BrandProductRef(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = BrandStory
        fields = [
            "id",
            "product",
            "title",
            "status",
            "status_display",
            "published_at",
            "recorded_by",
            "created_at",
            "updated_at",
            "page_url",
        ]


class StoryDetailOutput(StoryOutput):
    body = serializers.CharField(read_only=True, help_text="正文（已净化的 HTML）")
    images = StoryImageOutput(many=True, read_only=True)

    class Meta(StoryOutput.Meta):
        fields = [*StoryOutput.Meta.fields, "body", "images"]


class StoryInput(serializers.Serializer[Any]):
    product = ProductField(help_text="产品 id")
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(
        max_length=services.MAX_BODY_CHARACTERS,
        help_text="正文：纯文本（空行分段）或 HTML；只保留段落、小标题、加粗、列表和链接",
    )


class StoryQuery(BrandListQuery):
    status = serializers.ChoiceField(choices=StoryStatus.choices, required=False)


class StoryStatusInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=StoryStatus.choices)


def _out(request: Request, pk: int) -> dict[str, Any]:
    return dict(StoryDetailOutput(selectors.story_get_for_user(user=request.user, pk=pk)).data)


class StoryListApi(ListApi):
    serializer_class = StoryOutput

    @extend_schema(
        parameters=[StoryQuery],
        responses=StoryOutput(many=True),
        summary="历史文化故事列表（数据范围内；year 按创建时间）",
    )
    def get(self, request: Request) -> Response:
        require(can_view_stories(request.user), VIEW_DENIED)
        query = StoryQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.story_list_for_user(user=request.user, **list_filters(query))
        return self.page_of(rows)

    @extend_schema(
        request=StoryInput,
        responses={201: StoryDetailOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="撰写历史文化故事（保存为草稿）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_write_stories(request.user), services.WRITE_DENIED)
        data = StoryInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        story = services.story_create(actor=request_user(request), data=data.validated_data)
        return Response(_out(request, story.pk), status=status.HTTP_201_CREATED)


class StoryDetailApi(APIView):
    @extend_schema(responses=StoryDetailOutput, summary="历史文化故事详情（含正文和图片）")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_stories(request.user), VIEW_DENIED)
        return Response(_out(request, pk))

    @extend_schema(
        request=StoryInput,
        responses=StoryDetailOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改历史文化故事（部分字段）；证书持有人只能修改草稿，已发布的返回 409",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        story = selectors.story_get_for_user(user=request.user, pk=pk)
        require(can_write_stories(request.user), services.WRITE_DENIED)
        context = {"request": request, "current_products": [story.product_id]}
        data = StoryInput(data=request.data, partial=True, context=context)
        data.is_valid(raise_exception=True)
        services.story_update(actor=request_user(request), story=story, data=data.validated_data)
        return Response(_out(request, pk))


class StoryStatusApi(APIView):
    @extend_schema(
        request=StoryStatusInput,
        responses=StoryDetailOutput,
        summary="发布（published）或撤回（draft）故事；不允许的变更返回 409",
    )
    def post(self, request: Request, pk: int) -> Response:
        story = selectors.story_get_for_user(user=request.user, pk=pk)
        require(can_publish_stories(request.user), services.PUBLISH_DENIED)
        data = StoryStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.story_set_status(
            actor=request_user(request), story=story, status=data.validated_data["status"]
        )
        return Response(_out(request, pk))


urlpatterns = [
    path("brand/stories/", StoryListApi.as_view(), name="api-brand-story-list"),
    path("brand/stories/<int:pk>/", StoryDetailApi.as_view(), name="api-brand-story-detail"),
    path("brand/stories/<int:pk>/status/", StoryStatusApi.as_view(), name="api-brand-story-status"),
]
