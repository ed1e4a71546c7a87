"""API v1 of progress dispatch: reports, the overdue list and the monthly dispatch table.

Every write takes an `Idempotency-Key` header. Detail and action handlers fetch through the
selector first, so another scope's report is a 404 whatever the caller's role; an allocation id
in a request body that the caller cannot see is refused like a missing id (400 `invalid`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.dispatch import exports, selectors, services
from dibiao.dispatch.api.common import (
    DispatchDivisionRef,
    DispatchRef,
    DispatchUserRef,
    ScopedField,
    int_param,
    required_int_param,
    valid,
)
from dibiao.dispatch.choices import ReportKind, ReportStatus, SubmissionState
from dibiao.dispatch.errors import DispatchError
from dibiao.dispatch.models import DispatchProgressLine, DispatchReport
from dibiao.dispatch.periods import parse_month
from dibiao.dispatch.permissions import can_supervise
from dibiao.projects.models import Allocation
from dibiao.projects.selectors import allocation_list_for_user


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


# --- Output --------------------------------------------------------------------------------


class LineOutput(serializers.ModelSerializer[DispatchProgressLine]):
    target = serializers.CharField(source="target.code", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    unit = serializers.CharField(source="target.unit", read_only=True)

    class Meta:
        model = DispatchProgressLine
        fields = ["target", "target_name", "unit", "progress", "achieved"]


class ReportOutput(serializers.ModelSerializer[DispatchReport]):
    program = serializers.IntegerField(source="allocation.program_id", read_only=True)
    product = DispatchRef(source="allocation.product", read_only=True)
    division = DispatchDivisionRef(source="allocation.division", read_only=True)
    kind_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    period_label = serializers.CharField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    funds_spent_to_date = _money(read_only=True)
    lines = LineOutput(many=True, read_only=True)
    submitted_by = DispatchUserRef(read_only=True, allow_null=True)
    returned_by = DispatchUserRef(read_only=True, allow_null=True)

    class Meta:
        model = DispatchReport
        fields = [
            "id",
            "program",
            "allocation",
            "product",
            "division",
            "kind",
            "kind_display",
            "period_start",
            "period_end",
            "period_label",
            "due_date",
            "status",
            "status_display",
            "summary",
            "problems",
            "next_steps",
            "funds_spent_to_date",
            "funds_read_at",
            "lines",
            "submitted_at",
            "submitted_by",
            "submitted_late",
            "returned_at",
            "returned_by",
            "return_reason",
            "created_at",
            "updated_at",
        ]

    def get_kind_display(self, obj: DispatchReport) -> str:
        return str(obj.get_kind_display())

    def get_status_display(self, obj: DispatchReport) -> str:
        return str(obj.get_status_display())


class OverdueOutput(serializers.Serializer[Any]):
    allocation = serializers.IntegerField(source="allocation.pk")
    product = DispatchRef(source="allocation.product")
    division = DispatchDivisionRef(source="allocation.division")
    kind = serializers.CharField(source="period.kind")
    period_start = serializers.DateField(source="period.start")
    period_label = serializers.CharField(source="period.label")
    due_date = serializers.DateField(source="period.due")
    days_late = serializers.IntegerField()
    state = serializers.ChoiceField(choices=SubmissionState.choices)
    report = serializers.IntegerField(source="report.pk", allow_null=True, default=None)
    report_status = serializers.CharField(source="report.status", allow_null=True, default=None)


class TableRowOutput(serializers.Serializer[Any]):
    allocation = serializers.IntegerField(source="allocation.pk")
    product = serializers.CharField()
    division = serializers.CharField()
    state = serializers.ChoiceField(
        choices=SubmissionState.choices, allow_null=True, help_text="null：该月不需报送"
    )
    state_display = serializers.CharField(source="state_label")
    submitted_at = serializers.DateTimeField(allow_null=True)
    amount = _money()
    spent = _money(help_text="截至月末已审核支出（已扣除冲销）")
    rate = serializers.DecimalField(max_digits=6, decimal_places=1)
    progress = serializers.CharField()
    problems = serializers.CharField()
    next_steps = serializers.CharField()


class TableOutput(serializers.Serializer[Any]):
    program = serializers.IntegerField(source="program.pk")
    month = serializers.DateField()
    title = serializers.CharField()
    total_amount = _money()
    total_spent = _money()
    total_rate = serializers.DecimalField(max_digits=6, decimal_places=1)
    rows = TableRowOutput(many=True)


# --- Input ---------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedAllocationField(ScopedField):
    def rows(self, user: Any) -> QuerySet[Allocation]:
        return allocation_list_for_user(user=user)


class LineInput(serializers.Serializer[Any]):
    target = serializers.CharField(max_length=40, help_text="实施任务代码，如 training")
    progress = serializers.CharField(required=False, allow_blank=True, default="")
    achieved = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )


class ReportPatchInput(serializers.Serializer[Any]):
    summary = serializers.CharField(required=False, allow_blank=True)
    problems = serializers.CharField(required=False, allow_blank=True)
    next_steps = serializers.CharField(required=False, allow_blank=True)
    lines = LineInput(many=True, required=False, help_text="给出时整体替换各项任务进展")


class ReportInput(ReportPatchInput):
    allocation = ScopedAllocationField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    period_start = serializers.DateField(help_text="报告期第一天：月、季度或年度的第一天")


def _lines(allocation: Allocation, raw: list[dict[str, Any]] | None) -> Any:
    if raw is None:
        return None
    ids = dict(allocation.program.targets.values_list("code", "pk"))
    unknown = sorted({line["target"] for line in raw} - ids.keys())
    if unknown:
        raise DispatchError(
            "invalid_target", f"实施任务代码不属于该保护工程：{'、'.join(unknown)}。"
        )
    return [
        services.ProgressInput(ids[line["target"]], line["progress"], line["achieved"])
        for line in raw
    ]


def _text(data: dict[str, Any]) -> dict[str, str]:
    return {k: data[k] for k in ("summary", "problems", "next_steps") if k in data}


def _report_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(ReportOutput(selectors.report_get_for_user(user=request.user, pk=pk)).data)


# --- Views ---------------------------------------------------------------------------------


class ReportListApi(ListApi):
    serializer_class = ReportOutput

    @extend_schema(
        responses=ReportOutput(many=True),
        parameters=[
            OpenApiParameter("program", int, description="保护工程 id"),
            OpenApiParameter("allocation", int, description="资金分配 id"),
            OpenApiParameter("kind", str, enum=ReportKind.values),
            OpenApiParameter("status", str, enum=ReportStatus.values),
            OpenApiParameter("period_start", OpenApiTypes.DATE, description="报告期第一天"),
        ],
        summary="进展调度报告列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        rows = selectors.report_list_for_user(
            user=request.user, kind=params.get("kind", ""), status=params.get("status", "")
        )
        program_id = int_param(request, "program")
        allocation_id = int_param(request, "allocation")
        if program_id is not None:
            rows = rows.filter(allocation__program_id=program_id)
        if allocation_id is not None:
            rows = rows.filter(allocation_id=allocation_id)
        if params.get("period_start"):
            start = serializers.DateField().to_internal_value(params["period_start"])
            rows = rows.filter(period_start=start)
        return self.page_of(rows.prefetch_related("lines__target"))

    @extend_schema(
        request=ReportInput,
        responses={201: ReportOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="填报进展报告（草稿；实施地区的县级管理员）；该报告期已有报告返回 409 report_exists",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = valid(ReportInput, request)
        allocation = data["allocation"]
        existing = selectors.report_find_for_user(
            user=request.user,
            allocation=allocation,
            kind=data["kind"],
            period_start=data["period_start"],
        )
        if existing is not None:
            raise DispatchError(
                "report_exists",
                f"该报告期已有报告（id {existing.pk}），请用 PATCH 修改。",
                status=409,
            )
        report = services.report_save(
            actor=request_user(request),
            allocation=allocation,
            kind=data["kind"],
            period_start=data["period_start"],
            data=_text(data),
            lines=_lines(allocation, data.get("lines")),
        )
        return Response(_report_out(request, report.pk), status=status.HTTP_201_CREATED)


class ReportDetailApi(APIView):
    @extend_schema(responses=ReportOutput, summary="进展调度报告详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_report_out(request, pk))

    @extend_schema(
        request=ReportPatchInput,
        responses=ReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改草稿或被退回的报告；已报送的返回 409 report_submitted",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        data = valid(ReportPatchInput, request)
        services.report_save(
            actor=request_user(request),
            allocation=report.allocation,
            kind=report.kind,
            period_start=report.period_start,
            data=_text(data),
            lines=_lines(report.allocation, data.get("lines")),
        )
        return Response(_report_out(request, pk))


class ReportSubmitApi(APIView):
    @extend_schema(
        request=None,
        responses=ReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="报送报告；逾期报送照收并标记迟报（submitted_late）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        services.report_submit(actor=request_user(request), report=report)
        return Response(_report_out(request, pk))


class ReportReturnInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class ReportReturnApi(APIView):
    InputSerializer = ReportReturnInput

    @extend_schema(
        request=InputSerializer,
        responses=ReportOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="退回已报送的报告（上级市级或省级管理员，须填写原因）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get_for_user(user=request.user, pk=pk)
        data = valid(self.InputSerializer, request)
        services.report_return(actor=request_user(request), report=report, **data)
        return Response(_report_out(request, pk))


class OverdueApi(ListApi):
    serializer_class = OverdueOutput

    @extend_schema(
        responses=OverdueOutput(many=True),
        parameters=[OpenApiParameter("program", int, required=True, description="保护工程 id")],
        summary="逾期未报清单：截止日期早于今天且未报送（含被退回）的报告期，逾期最久的在前",
    )
    def get(self, request: Request) -> Response:
        program = selectors.dispatch_program_for_user(
            user=request.user, pk=required_int_param(request, "program")
        )
        rows = selectors.overdue_reports(
            user=request.user, program=program, today=timezone.localdate()
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(OverdueOutput(page, many=True).data)


class TableApi(APIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # `format` names the file format here (xlsx/docx), not one of DRF's renderers: without
        # `force`, DRF would answer 404 for a format it has no renderer for.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("program", int, required=True, description="保护工程 id"),
            OpenApiParameter("month", str, required=True, description="月份 YYYY-MM"),
            OpenApiParameter("format", str, enum=["json", "xlsx", "docx"], description="默认 json"),
        ],
        responses={
            (200, "application/json"): TableOutput,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        },
        summary="月度调度表（市级、省级管理员）：每个资金分配一行；xlsx / docx 为下载文件",
    )
    def get(self, request: Request) -> Response | FileResponse:
        if not can_supervise(request.user):
            raise DispatchError(
                "permission_denied", "只有市级或省级管理员可以导出月度调度表。", status=403
            )
        program = selectors.dispatch_program_for_user(
            user=request.user, pk=required_int_param(request, "program")
        )
        month = parse_month(request.query_params.get("month", ""))
        if month is None or month.year != program.year:
            raise serializers.ValidationError({"month": ["请填写工程年度内的月份 YYYY-MM。"]})
        fmt = request.query_params.get("format", "json")
        if fmt not in (*exports.FORMATS, "json"):
            raise serializers.ValidationError({"format": ["应为 json、xlsx 或 docx。"]})
        table = selectors.monthly_table(
            user=request.user, program=program, month=month, today=timezone.localdate()
        )
        if fmt == "json":
            return Response(TableOutput(table).data)
        return exports.table_response(user=request.user, table=table, fmt=fmt)
