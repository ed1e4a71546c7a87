"""API v1: label codes (一物一码) — issuances, their segments, binding (activation), voiding and
label jobs (PDF sheets, CSV) with their download. Every write takes an `Idempotency-Key`
header (`@idempotent`). Detail and action handlers fetch through the selector first, so another
scope's issuance or job is a 404 whatever the caller's role; the services decide who may act."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, int_query_param, validated
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.core.uploads import file_response
from dibiao.producers.models import LabelAuthorization
from dibiao.trace import codes
from dibiao.trace.choices import LabelFormat, SegmentState
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, LabelJob
from dibiao.trace.permissions.codes import issuance_actions
from dibiao.trace.selectors import codes as selectors
from dibiao.trace.services import codes as services
from dibiao.trace.services import jobs

ACTIONS = ["bind", "void", "labels"]


# --- Output ----------------------------------------------------------------------------------


class CodesRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class CodesNumberRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class StateTotalsOutput(serializers.Serializer[Any]):
    issued = serializers.IntegerField(help_text="未激活")
    active = serializers.IntegerField(help_text="已激活（已绑定批次）")
    voided = serializers.IntegerField(help_text="已作废")


class IssuanceOutput(serializers.ModelSerializer[CodeIssuance]):
    authorization = CodesNumberRefOutput(read_only=True)
    producer = CodesRefOutput(read_only=True)
    product = CodesRefOutput(read_only=True)

    class Meta:
        model = CodeIssuance
        fields = [
            "id",
            "number",
            "authorization",
            "producer",
            "product",
            "key_id",
            "first_serial",
            "last_serial",
            "count",
            "created_at",
        ]


class IssuanceDetailOutput(IssuanceOutput):
    state_totals = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="调用者当前可执行的操作")

    class Meta(IssuanceOutput.Meta):
        fields = [*IssuanceOutput.Meta.fields, "state_totals", "actions"]

    @extend_schema_field(StateTotalsOutput)
    def get_state_totals(self, obj: CodeIssuance) -> dict[str, int]:
        return selectors.issuance_state_totals(issuance=obj)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_actions(self, obj: CodeIssuance) -> list[str]:
        request = self.context.get("request")
        return sorted(issuance_actions(request.user, obj)) if request is not None else []


class SegmentOutput(serializers.ModelSerializer[CodeSegment]):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    batch = CodesNumberRefOutput(read_only=True, allow_null=True)
    count = serializers.IntegerField(source="size", read_only=True)

    class Meta:
        model = CodeSegment
        fields = [
            "first_serial",
            "last_serial",
            "count",
            "state",
            "state_display",
            "batch",
            "reason",
            "changed_at",
        ]


class LabelJobOutput(serializers.ModelSerializer[LabelJob]):
    issuance = CodesNumberRefOutput(read_only=True)
    format_display = serializers.CharField(source="get_format_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    download_url = serializers.SerializerMethodField(help_text="完成后的下载地址，否则为空")

    class Meta:
        model = LabelJob
        fields = [
            "id",
            "issuance",
            "first_serial",
            "last_serial",
            "format",
            "format_display",
            "status",
            "status_display",
            "total",
            "done",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, obj: LabelJob) -> str | None:
        if obj.status != "done":
            return None
        return reverse("api-label-job-download", kwargs={"pk": obj.pk})


def _issuance_out(request: Request, pk: int) -> dict[str, Any]:
    issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
    return dict(IssuanceDetailOutput(issuance, context={"request": request}).data)


def _job_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(LabelJobOutput(selectors.label_job_get_for_user(user=request.user, pk=pk)).data)


# --- Input -----------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IssuableAuthorizationField(ScopedRelatedField):
    """Agreements in the caller's scope (others read as missing). Whether the caller may issue
    under it (403) and whether it is valid today (409) is the service's to say."""

    def rows(self, user: Any) -> QuerySet[LabelAuthorization]:
        return LabelAuthorization.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedBatchField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[Batch]:
        return Batch.objects.restrict(user)


def _serial(label: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=codes.MAX_SERIAL, help_text=label)


class IssuanceCreateInput(serializers.Serializer[Any]):
    authorization = IssuableAuthorizationField(help_text="标志使用授权 id（须今日有效）")
    count = serializers.IntegerField(
        min_value=1, max_value=services.MAX_ISSUANCE_COUNT, help_text="发放数量（枚）"
    )


class RangeInput(serializers.Serializer[Any]):
    first_serial = _serial("起始序号（含）")
    last_serial = _serial("结束序号（含）")


class BindInput(RangeInput):
    batch = ScopedBatchField(help_text="批次 id（本主体、同一产品、未召回）")


class VoidInput(RangeInput):
    reason = serializers.CharField(max_length=services.REASON_MAX_LENGTH, help_text="作废原因")


class LabelJobInput(RangeInput):
    format = serializers.ChoiceField(choices=LabelFormat.choices)


# --- Endpoints -------------------------------------------------------------------------------


class IssuanceListApi(ListApi):
    serializer_class = IssuanceOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="发放编号、主体名称或协议编号"),
            OpenApiParameter("product", int, description="地理标志产品 id"),
            OpenApiParameter("producer", int, description="经营主体 id"),
            OpenApiParameter("authorization", int, description="标志使用授权 id"),
        ],
        responses=IssuanceOutput(many=True),
        summary="标签码发放列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        rows = selectors.issuance_list_for_user(
            user=request.user,
            q=request.query_params.get("q", "").strip()[:60],
            product=int_query_param(request, "product"),
            producer=int_query_param(request, "producer"),
            authorization=int_query_param(request, "authorization"),
        )
        return self.page_of(rows)

    @extend_schema(
        request=IssuanceCreateInput,
        responses={201: IssuanceDetailOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="发放标签码（被授权主体或其县级管理员）；超出授权数量返回 409 over_authorized_quantity",
        description="错误代码：invalid_count、authorization_not_valid、producer_not_eligible、"
        "over_authorized_quantity、serials_exhausted。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = validated(IssuanceCreateInput, request)
        issuance = services.issuance_create(actor=request_user(request), **data)
        return Response(_issuance_out(request, issuance.pk), status=status.HTTP_201_CREATED)


class IssuanceDetailApi(APIView):
    @extend_schema(responses=IssuanceDetailOutput, summary="标签码发放详情（含各状态数量）")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_issuance_out(request, pk))


class IssuanceSegmentListApi(ListApi):
    serializer_class = SegmentOutput

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=SegmentState.values)],
        responses=SegmentOutput(many=True),
        summary="发放的序号段（按序号排列，互不重叠、覆盖全部序号）",
    )
    def get(self, request: Request, pk: int) -> Response:
        issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
        state = request.query_params.get("state", "")
        if state and state not in SegmentState.values:
            raise serializers.ValidationError({"state": ["未知的状态。"]})
        rows = selectors.issuance_segments(issuance=issuance)
        return self.page_of(rows.filter(state=state) if state else rows)


class IssuanceBindApi(APIView):
    @extend_schema(
        request=BindInput,
        responses=IssuanceDetailOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="绑定（激活）序号段到批次（被授权主体）；与已激活或已作废部分重叠返回 409 range_conflict",
        description="错误代码：invalid_range、range_outside_issuance、range_conflict、"
        "batch_mismatch、batch_recalled。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
        data = validated(BindInput, request)
        services.codes_bind(actor=request_user(request), issuance=issuance, **data)
        return Response(_issuance_out(request, pk))


class IssuanceVoidApi(APIView):
    @extend_schema(
        request=VoidInput,
        responses=IssuanceDetailOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="作废序号段（被授权主体或其县级管理员，须填写原因；不可撤销）",
        description="错误代码：invalid_range、range_outside_issuance、range_conflict、reason_required。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
        data = validated(VoidInput, request)
        services.codes_void(actor=request_user(request), issuance=issuance, **data)
        return Response(_issuance_out(request, pk))


class IssuanceJobListApi(ListApi):
    serializer_class = LabelJobOutput

    @extend_schema(responses=LabelJobOutput(many=True), summary="发放的标签生成任务")
    def get(self, request: Request, pk: int) -> Response:
        selectors.issuance_get_for_user(user=request.user, pk=pk)
        return self.page_of(selectors.label_job_list_for_user(user=request.user, issuance=pk))

    @extend_schema(
        request=LabelJobInput,
        responses={202: LabelJobOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="提交标签文件生成任务（PDF 标签页、卷标或 CSV），后台生成；用任务详情查询进度",
        description="错误代码：invalid_range、range_outside_issuance、range_conflict（含已作废序号）、"
        "public_url_missing。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
        data = validated(LabelJobInput, request)
        job = jobs.label_job_create(
            actor=request_user(request),
            issuance=issuance,
            origin=request.build_absolute_uri("/").rstrip("/"),
            **data,
        )
        return Response(_job_out(request, job.pk), status=status.HTTP_202_ACCEPTED)


class LabelJobDetailApi(APIView):
    @extend_schema(responses=LabelJobOutput, summary="标签生成任务详情（状态与进度）")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_job_out(request, pk))


class LabelJobDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="标签文件（PDF、ZIP 或 CSV），以附件下载；未完成返回 409 job_not_done",
            )
        },
        summary="下载标签文件（被授权主体或其县级管理员；每次下载记入审计日志）",
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        job = selectors.label_job_get_for_user(user=request.user, pk=pk)
        opened = jobs.label_job_open(actor=request_user(request), job=job)
        return file_response(
            opened.handle, filename=opened.filename, content_type=opened.content_type
        )


urlpatterns = [
    path("code-issuances/", IssuanceListApi.as_view(), name="api-issuance-list"),
    path("code-issuances/<int:pk>/", IssuanceDetailApi.as_view(), name="api-issuance-detail"),
    path(
        "code-issuances/<int:pk>/segments/",
        IssuanceSegmentListApi.as_view(),
        name="api-issuance-segments",
    ),
    path("code-issuances/<int:pk>/bind/", IssuanceBindApi.as_view(), name="api-issuance-bind"),
    path("code-issuances/<int:pk>/void/", IssuanceVoidApi.as_view(), name="api-issuance-void"),
    path(
        "code-issuances/<int:pk>/label-jobs/",
        IssuanceJobListApi.as_view(),
        name="api-issuance-label-jobs",
    ),
    path("label-jobs/<int:pk>/", LabelJobDetailApi.as_view(), name="api-label-job-detail"),
    path(
        "label-jobs/<int:pk>/download/",
        LabelJobDownloadApi.as_view(),
        name="api-label-job-download",
    ),
]
