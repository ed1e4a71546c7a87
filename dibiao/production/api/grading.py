"""API v1: a product's grading scheme (分等分级) — read, replace, and regrade the product's
reports. Replacing never regrades existing reports; the regrade endpoint does, audited."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.production import selectors
from dibiao.production.api.test_reports import TestReportRefOutput, require
from dibiao.production.models import GradeCriterion, GradeStandard
from dibiao.production.permissions import can_edit_grading
from dibiao.production.services import grading
from dibiao.registry.models import GIProduct


def _bound(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True, **kwargs)


class GradeCriterionOutput(serializers.ModelSerializer[GradeCriterion]):
    min_value = _bound(read_only=True)
    max_value = _bound(read_only=True)

    class Meta:
        model = GradeCriterion
        fields = ["item_name", "unit", "min_value", "max_value"]


class GradeOutput(serializers.ModelSerializer[GradeStandard]):
    criteria = GradeCriterionOutput(many=True, read_only=True)

    class Meta:
        model = GradeStandard
        fields = ["id", "name", "rank", "criteria"]


class GradingSchemeOutput(serializers.Serializer[Any]):
    product = TestReportRefOutput(read_only=True)
    can_edit = serializers.BooleanField(read_only=True, help_text="调用者能否修改该方案")
    grades = GradeOutput(many=True, read_only=True, help_text="按排序，1 为最高等级")


class GradeCriterionInput(serializers.Serializer[Any]):
    item_name = serializers.CharField(
        max_length=100, help_text="与检测项目名称相同（不区分大小写）"
    )
    unit = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="填写时检测项目单位须一致",
    )
    min_value = _bound(required=False, default=None, help_text="下限（含）")
    max_value = _bound(required=False, default=None, help_text="上限（含）；上下限至少填一项")


class GradeInput(serializers.Serializer[Any]):
    id = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="已有等级的编号（改名时保留等级，已评定的报告随之改名）",
    )
    name = serializers.CharField(max_length=20)
    rank = serializers.IntegerField(
        min_value=1, max_value=grading.MAX_RANK, help_text="1 为最高等级"
    )
    criteria = serializers.ListField(
        child=GradeCriterionInput(), allow_empty=False, max_length=grading.MAX_CRITERIA
    )


class GradingSchemeInput(serializers.Serializer[Any]):
    grades = serializers.ListField(child=GradeInput(), max_length=grading.MAX_GRADES)


def _scheme_out(request: Request, product: GIProduct) -> dict[str, Any]:
    data = {
        "product": product,
        "can_edit": can_edit_grading(request.user, product),
        "grades": selectors.grading_scheme(product=product),
    }
    return dict(GradingSchemeOutput(data).data)


class GradingSchemeApi(APIView):
    @extend_schema(responses=GradingSchemeOutput, summary="产品的分等分级方案")
    def get(self, request: Request, pk: int) -> Response:
        product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
        return Response(_scheme_out(request, product))

    @extend_schema(
        request=GradingSchemeInput,
        responses=GradingSchemeOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="整体替换产品的分等分级方案（省级管理员、产品所在县的县级管理员）；已有报告的等级不自动重评",
        description="同名等级保留原等级（可调整排序）；同一排序改名视为改名；未列出的等级删除。"
        "错误代码：criterion_without_bound、criterion_bounds_reversed、duplicate_grade_rank、"
        "duplicate_grade_name、duplicate_criterion、grade_without_criteria、unknown_grade、"
        "grade_in_use（409，已评定给报告的等级不能删除）。",
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
        require(
            can_edit_grading(request.user, product),
            "只有省级管理员和产品所在县的县级管理员可以修改分等分级方案。",
        )
        data = validated(GradingSchemeInput, request)
        grading.grading_scheme_replace(
            actor=request_user(request), product=product, grades=data["grades"]
        )
        return Response(_scheme_out(request, product))


class GradingRegradeOutput(serializers.Serializer[Any]):
    checked = serializers.IntegerField(help_text="重新评定的报告数（调用者数据范围内）")
    changed = serializers.IntegerField(help_text="等级发生变化的报告数")


class GradingRegradeApi(APIView):
    @extend_schema(
        request=None,
        responses=GradingRegradeOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="按现行方案重新评定该产品的全部检测报告（数据范围内；每份变化的报告记入审计日志）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        product = selectors.grading_product_get_for_user(user=request.user, pk=pk)
        require(can_edit_grading(request.user, product), "您不能重新评定该产品的报告等级。")
        summary = grading.product_reports_regrade(product=product, actor=request_user(request))
        return Response(GradingRegradeOutput(summary).data)


urlpatterns = [
    path("grading-schemes/<int:pk>/", GradingSchemeApi.as_view(), name="api-grading-scheme"),
    path(
        "grading-schemes/<int:pk>/regrade/",
        GradingRegradeApi.as_view(),
        name="api-grading-regrade",
    ),
]
