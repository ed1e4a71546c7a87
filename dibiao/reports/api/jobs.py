"""API v1: report jobs (报表任务) — a program's annual or quarterly summary or monthly dispatch
table in Word or Excel, made in the background for the caller's scope, with its progress and
download. Creation takes an `Idempotency-Key` header (`@idempotent`). Detail and download fetch
through the selector first, so another scope's job is a 404 whatever the caller's role."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, validated
from dibiao.core.choices import JobStatus
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.params import MAX_ID
from dibiao.core.uploads import file_response
from dibiao.reports import selectors, services
from dibiao.reports.choices import ReportFormat, ReportJobKind
from dibiao.reports.models import ReportJob
from dibiao.reports.permissions import can_use_reports


def _government(request: Request) -> None:
    if not can_use_reports(request.user):
        raise ForbiddenError("只有各级农业农村部门可以使用报表。")


class ReportJobProgramRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True)


class ReportJobUserRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class ReportJobDivisionRef(serializers.Serializer[Any]):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ReportJobOutput(serializers.ModelSerializer[ReportJob]):
    program = ReportJobProgramRef(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    format_display = serializers.CharField(source="get_format_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    division = ReportJobDivisionRef(read_only=True, help_text="提交时的数据范围（其顶层区划）")
    whole_program = serializers.BooleanField(
        read_only=True, help_text="全部产品（省级）；否则为提交人当时可见的产品"
    )
    requested_by = ReportJobUserRef(read_only=True, allow_null=True)
    title = serializers.CharField(read_only=True, help_text="报表名称（亦为下载的文件名）")
    percent = serializers.IntegerField(read_only=True, help_text="进度（%）")
    download_url = serializers.SerializerMethodField(help_text="完成后的下载地址，否则为空")

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "program",
            "kind",
            "kind_display",
            "period",
            "format",
            "format_display",
            "title",
            "division",
            "whole_program",
            "status",
            "status_display",
            "total",
            "done",
            "percent",
            "error",
            "requested_by",
            "created_at",
            "finished_at",
            "download_url",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, obj: ReportJob) -> str | None:
        if obj.status != JobStatus.DONE:
            return None
        return reverse("api-report-job-file", kwargs={"pk": obj.pk})


class ReportJobInput(serializers.Serializer[Any]):
    # Plain integers: the service checks the program's scope and the period's range and
    # answers with coded errors (program_out_of_scope, bad_quarter, bad_month).
    program = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="保护工程 id")
    kind = serializers.ChoiceField(choices=ReportJobKind.choices)
    period = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="季度小结的季度（1–4）或调度表的月份（1–12）；年度总结不填",
    )
    format = serializers.ChoiceField(choices=ReportFormat.choices)


def _job_out(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    job = selectors.report_job_get_for_user(user=request.user, pk=pk)
    return Response(ReportJobOutput(job).data, status=code)


class ReportJobListApi(ListApi):
    serializer_class = ReportJobOutput

    @extend_schema(
        responses=ReportJobOutput(many=True),
        summary="报表任务（本人提交的和数据范围内的，最新的在前）",
    )
    def get(self, request: Request) -> Response:
        _government(request)
        return self.page_of(selectors.report_job_list_for_user(user=request.user))

    @extend_schema(
        request=ReportJobInput,
        responses={201: ReportJobOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="提交报表任务（年度工作总结、季度工作小结或月度进展调度表；Word 或 Excel），后台生成；用任务详情查询进度",
        description="范围为调用者的数据范围：省级为全部产品，市、县为其范围内的产品。错误代码："
        "program_out_of_scope、bad_quarter、bad_month（400）、permission_denied（403）。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _government(request)
        data = validated(ReportJobInput, request)
        job = services.report_job_create(
            actor=request_user(request),
            program_id=data["program"],
            kind=data["kind"],
            period=data["period"],
            format=data["format"],
        )
        return _job_out(request, job.pk, status.HTTP_201_CREATED)


class ReportJobDetailApi(APIView):
    @extend_schema(responses=ReportJobOutput, summary="报表任务详情（状态与进度）")
    def get(self, request: Request, pk: int) -> Response:
        _government(request)
        return _job_out(request, pk)


class ReportJobFileApi(APIView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="报表文件（.docx 或 .xlsx），以附件下载；未完成返回 409 job_not_done",
            )
        },
        summary="下载报表文件（每次下载记入审计日志）",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        _government(request)
        job = selectors.report_job_get_for_user(user=request.user, pk=pk)
        opened = services.report_job_open(actor=request_user(request), job=job)
        return file_response(
            opened.handle, filename=opened.filename, content_type=opened.content_type
        )


urlpatterns = [
    path("report-jobs/", ReportJobListApi.as_view(), name="api-report-job-list"),
    path("report-jobs/<int:pk>/", ReportJobDetailApi.as_view(), name="api-report-job-detail"),
    path("report-jobs/<int:pk>/file/", ReportJobFileApi.as_view(), name="api-report-job-file"),
]
