"""API v1: applications and their workflow steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.applications import selectors, services
from dibiao.applications.api.serializers import (
    ApplicationCreateInput,
    ApplicationDecideInput,
    ApplicationDetailOutput,
    ApplicationOutput,
    ApplicationStepInput,
    ApplicationUpdateInput,
)
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.models import Application
from dibiao.core.api import ListApi
from dibiao.core.idempotency import idempotent
from dibiao.projects.models import Program


def _lines(data: dict[str, Any]) -> list[services.BudgetLineInput] | None:
    if "budget_lines" not in data:
        return None
    return [services.BudgetLineInput(**line) for line in data["budget_lines"]]


def _detail(request: Request, pk: int, *, code: int = status.HTTP_200_OK) -> Response:
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    return Response(
        ApplicationDetailOutput(application, context={"request": request}).data, status=code
    )


class ApplicationListApi(ListApi):
    serializer_class = ApplicationOutput

    @extend_schema(
        responses=ApplicationOutput(many=True),
        parameters=[
            OpenApiParameter("program", int, description="保护工程 id"),
            OpenApiParameter("status", str, enum=ApplicationStatus.values),
            OpenApiParameter("q", str, description="产品、申报县或申报单位"),
        ],
        summary="申报列表（数据范围内：县看本县，市看所辖县，省看全省）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        program = params.get("program", "")
        rows = selectors.application_list_for_user(
            user=request.user,
            program=int(program) if program.isdigit() else None,
            status=params.get("status", ""),
            q=params.get("q", "").strip(),
        )
        return self.page_of(rows)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "request": self.request}

    def page_of(self, rows: Any) -> Response:
        page = self.paginate_queryset(rows)
        data = ApplicationOutput(page, many=True, context={"request": self.request}).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=ApplicationCreateInput,
        responses={201: ApplicationDetailOutput},
        summary="起草申报（县级管理员；保护工程须处于申报中）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ApplicationCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        program = Program(pk=values["program"])
        application = services.application_create(
            actor=request_user(request),
            program=program,
            product=values["product"],
            plan=values["plan"],
            requested_amount=values["requested_amount"],
            budget_lines=_lines(values) or [],
            targets=values.get("targets"),
        )
        return _detail(request, application.pk, code=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    @extend_schema(responses=ApplicationDetailOutput, summary="申报详情（含预算、指标、办理记录）")
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, pk)

    @extend_schema(
        request=ApplicationUpdateInput,
        responses=ApplicationDetailOutput,
        summary="修改申报（草稿或已退回；预算明细整体替换）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        application = selectors.application_get_for_user(user=request.user, pk=pk)
        data = ApplicationUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.application_update(
            actor=request_user(request),
            application=application,
            plan=values.get("plan"),
            requested_amount=values.get("requested_amount"),
            budget_lines=_lines(values),
            targets=values.get("targets"),
        )
        return _detail(request, pk)


Step = Callable[..., Application]

STEPS: dict[str, tuple[Step, str]] = {
    "submit": (services.application_submit, "提交申报（县级管理员；预算合计须等于申请资金）"),
    "confirm": (services.application_confirm, "审核确认（本县人民政府）"),
    "return": (
        services.application_return,
        "退回修改（已提交：本县人民政府；县政府已确认：所在市），须填写意见",
    ),
    "recommend": (services.application_recommend, "推荐（所在市农业农村局）"),
    "withdraw": (services.application_withdraw, "撤回申报（县级管理员；草稿或已退回），须填写意见"),
}


class ApplicationStepApi(APIView):
    step = ""

    @extend_schema(
        request=ApplicationStepInput, responses=ApplicationDetailOutput, summary="申报流程操作"
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_get_for_user(user=request.user, pk=pk)
        data = ApplicationStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        service, _ = STEPS[self.step]
        service(
            actor=request_user(request),
            application=application,
            comment=data.validated_data["comment"],
        )
        return _detail(request, pk)


def step_view(step: str) -> Any:
    """One endpoint per step, each with its own summary in the schema."""
    _, summary = STEPS[step]
    view: type[ApplicationStepApi] = type(
        f"Application{step.title()}Api",
        (ApplicationStepApi,),
        {
            "step": step,
            "post": extend_schema(
                request=ApplicationStepInput, responses=ApplicationDetailOutput, summary=summary
            )(ApplicationStepApi.post),
        },
    )
    return view.as_view()


class ApplicationDecideApi(APIView):
    @extend_schema(
        request=ApplicationDecideInput,
        responses=ApplicationDetailOutput,
        summary="省级确定：入选（同时分配资金，超出总预算则整体失败）或未入选（须填写意见）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        application = selectors.application_get_for_user(user=request.user, pk=pk)
        data = ApplicationDecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.application_decide(
            actor=request_user(request),
            application=application,
            selected=values["selected"],
            amount=values.get("amount"),
            comment=values["comment"],
        )
        return _detail(request, pk)
