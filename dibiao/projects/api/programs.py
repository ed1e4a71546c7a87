"""API v1: programs (年度保护工程) and their status."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.models import Division
from dibiao.projects import selectors, services
from dibiao.projects.api.common import ProgramOutput, _int_param, _money, _require, _valid
from dibiao.projects.choices import (
    ProgramStatus,
)
from dibiao.projects.errors import ProjectsError
from dibiao.projects.permissions import can_manage_programs

# --- Programs ------------------------------------------------------------------------------


class ProgramInput(serializers.Serializer[Any]):
    province = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text="省级区划代码；不填则为调用者所在的省",
    )
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    name = serializers.CharField(max_length=200)
    total_budget = _money()
    monthly_dispatch_day = serializers.IntegerField(min_value=1, max_value=28, default=5)
    annual_summary_deadline = serializers.DateField()


class ProgramPatchInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    total_budget = _money(required=False)
    monthly_dispatch_day = serializers.IntegerField(min_value=1, max_value=28, required=False)
    annual_summary_deadline = serializers.DateField(required=False)


def _program_out(request: Request, pk: int) -> dict[str, Any]:
    program = selectors.program_get_with_allocations(user=request.user, pk=pk)
    return dict(ProgramOutput(program, context={"request": request}).data)


class ProgramListApi(ListApi):
    serializer_class = ProgramOutput

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="年度")],
        responses=ProgramOutput(many=True),
        summary="保护工程列表（含数据范围内的资金分配）",
    )
    def get(self, request: Request) -> Response:
        year = _int_param(request, "year")
        return self.page_of(selectors.program_list_with_allocations(user=request.user, year=year))

    @extend_schema(
        request=ProgramInput,
        responses={201: ProgramOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="新建年度保护工程（省级管理员；自动带入实施方案指标）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(can_manage_programs(request.user), "只有省级管理员可以创建保护工程。")
        data = _valid(ProgramInput, request)
        if "province" not in data:
            provinces = list(selectors.program_provinces_for_user(user=request.user)[:2])
            if len(provinces) != 1:
                raise ProjectsError("invalid_province", "请填写省级区划代码 province。")
            data["province"] = provinces[0]
        program = services.program_create(actor=request_user(request), **data)
        return Response(_program_out(request, program.pk), status=status.HTTP_201_CREATED)


class ProgramDetailApi(APIView):
    @extend_schema(responses=ProgramOutput, summary="保护工程详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_program_out(request, pk))

    @extend_schema(
        request=ProgramPatchInput,
        responses=ProgramOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改保护工程（名称、总预算、报送日历）；总预算不能低于已分配",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        program = selectors.program_get_for_user(user=request.user, pk=pk)
        _require(can_manage_programs(request.user), "只有省级管理员可以修改保护工程。")
        data = _valid(ProgramPatchInput, request)
        services.program_update(actor=request_user(request), program=program, data=data)
        return Response(_program_out(request, pk))


class ProgramTransitionInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ProgramStatus.choices)


class ProgramTransitionApi(APIView):
    @extend_schema(
        request=ProgramTransitionInput,
        responses=ProgramOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="变更保护工程状态（草稿→申报中→评审中→实施中→已结束）；不允许的变更返回 409",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        program = selectors.program_get_for_user(user=request.user, pk=pk)
        _require(can_manage_programs(request.user), "只有省级管理员可以变更保护工程状态。")
        data = _valid(ProgramTransitionInput, request)
        services.program_transition(
            actor=request_user(request), program=program, status=data["status"]
        )
        return Response(_program_out(request, pk))
