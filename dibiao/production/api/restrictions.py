"""API v1: the national lists of banned and restricted inputs (read-only, any signed-in user)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from dibiao.core.api import ListApi
from dibiao.production import selectors
from dibiao.production.choices import RestrictionKind
from dibiao.production.models import RestrictedSubstance, RestrictionList
from dibiao.production.services.restrictions import list_date_text


class RestrictionListOutput(serializers.ModelSerializer[RestrictionList]):
    date_text = serializers.SerializerMethodField(
        help_text="发布日期的文字形式；只核实到年份的名录只写年份"
    )
    banned_count = serializers.IntegerField(read_only=True)
    restricted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = RestrictionList
        fields = [
            "id",
            "title",
            "source",
            "published_on",
            "date_text",
            "url",
            "banned_count",
            "restricted_count",
            "loaded_at",
        ]

    def get_date_text(self, obj: RestrictionList) -> str:
        return list_date_text(obj)


class ListRef(serializers.ModelSerializer[RestrictionList]):
    class Meta:
        model = RestrictionList
        fields = ["id", "title", "source", "published_on"]


class SubstanceOutput(serializers.ModelSerializer[RestrictedSubstance]):
    restriction_list = ListRef(read_only=True)
    forbidden_categories = serializers.SerializerMethodField(
        help_text="不得使用的产品品类代码；空表示所有产品"
    )

    class Meta:
        model = RestrictedSubstance
        fields = [
            "id",
            "name",
            "aliases",
            "kind",
            "input_category",
            "scope",
            "forbidden_categories",
            "restriction_list",
        ]

    def get_forbidden_categories(self, obj: RestrictedSubstance) -> list[str]:
        return [c for c in obj.forbidden_categories.split(",") if c]


class SubstanceQuery(serializers.Serializer[Any]):
    q = serializers.CharField(required=False, max_length=100, help_text="通用名、别名或范围")
    kind = serializers.ChoiceField(choices=RestrictionKind.choices, required=False)
    restriction_list = serializers.IntegerField(
        required=False, min_value=1, max_value=selectors.MAX_ID, help_text="名录 id"
    )


class RestrictionListApi(ListApi):
    serializer_class = RestrictionListOutput

    @extend_schema(
        responses=RestrictionListOutput(many=True),
        summary="禁限用投入品名录（含发布机关、文号和日期）",
    )
    def get(self, request: Request) -> Response:
        return self.page_of(selectors.restriction_list_list())


class SubstanceListApi(ListApi):
    serializer_class = SubstanceOutput

    @extend_schema(
        parameters=[SubstanceQuery],
        responses=SubstanceOutput(many=True),
        summary="禁限用物质（可按名称、类别和名录筛选）",
    )
    def get(self, request: Request) -> Response:
        query = SubstanceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        return self.page_of(
            selectors.substance_list(
                q=data.get("q", "").strip(),
                kind=data.get("kind", ""),
                restriction_list=data.get("restriction_list"),
            )
        )


urlpatterns = [
    path("restriction-lists/", RestrictionListApi.as_view(), name="api-restriction-list-list"),
    path(
        "restricted-substances/",
        SubstanceListApi.as_view(),
        name="api-restricted-substance-list",
    ),
]
