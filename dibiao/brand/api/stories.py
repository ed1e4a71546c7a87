"""API v1: historical and cultural stories (历史文化故事) — list, write, detail, change,
publish/withdraw. Images are uploaded on the story's page."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
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
    require,
)
from dibiao.brand.choices import StoryStatus
from dibiao.brand.models import BrandStory, StoryImage
from dibiao.brand.permissions import can_publish_stories, can_view_stories, can_write_stories
from dibiao.brand.services import stories as services

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


KIND = BrandKind(
    output=StoryDetailOutput,
    list_output=StoryOutput,
    input=StoryInput,
    query=StoryQuery,
    can_view=can_view_stories,
    view_denied=VIEW_DENIED,
    can_write=can_write_stories,
    write_denied=services.WRITE_DENIED,
    list_rows=selectors.story_list_for_user,
    get_row=selectors.story_get_for_user,
    create=lambda actor, data: services.story_create(actor=actor, data=data),
    update=lambda actor, row, data: services.story_update(actor=actor, story=row, data=data),
)


@list_schema(
    KIND,
    list_summary="历史文化故事列表（数据范围内；year 按创建时间）",
    create_summary="撰写历史文化故事（保存为草稿）",
)
class StoryListApi(BrandListApi):
    serializer_class = StoryOutput
    kind = KIND


@detail_schema(
    KIND,
    detail_summary="历史文化故事详情（含正文和图片）",
    update_summary="修改历史文化故事（部分字段）；证书持有人只能修改草稿，已发布的返回 409",
)
class StoryDetailApi(BrandDetailApi):
    kind = KIND


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
        return Response(KIND.out(request, pk))


urlpatterns = [
    path("brand/stories/", StoryListApi.as_view(), name="api-brand-story-list"),
    path("brand/stories/<int:pk>/", StoryDetailApi.as_view(), name="api-brand-story-detail"),
    path("brand/stories/<int:pk>/status/", StoryStatusApi.as_view(), name="api-brand-story-status"),
]
