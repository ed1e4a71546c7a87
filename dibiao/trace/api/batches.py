"""API v1: batches (批次) — list, detail, create from harvest logs, change GTIN/notes, link test
reports, release, recall, lineage. Writes take an `Idempotency-Key` header. Another scope's
batch is a 404; ids in a body the caller may not pick read as "does not exist"."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, ScopedRelatedField, validated
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.production.models import ProductionLog, TestReport
from dibiao.trace import lineage
from dibiao.trace.choices import BatchStatus
from dibiao.trace.models import Batch
from dibiao.trace.permissions.batches import can_keep_batches, can_manage_batch, can_view_batches
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services import batches as services

CREATE_ERRORS = (
    "harvest_logs_required、harvest_log_not_found、not_harvest_log、harvest_not_done、"
    "harvest_quantity_missing、mixed_producers、mixed_products、mixed_units、"
    "harvest_log_in_batch（409）、quantity_exceeds_harvest、invalid_quantity、invalid_gtin、"
    "producer_inactive、report_mismatch"
)


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=3, **kwargs)


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


# --- Output ------------------------------------------------------------------------------------


class BatchRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class BatchReportBrief(serializers.ModelSerializer[TestReport]):
    grade = serializers.CharField(source="grade.name", read_only=True, allow_null=True)

    class Meta:
        model = TestReport
        fields = ["id", "report_number", "kind", "sample_code", "tested_on", "result", "grade"]


class BatchBriefOutput(serializers.ModelSerializer[Batch]):
    product = BatchRefOutput(read_only=True)
    producer = BatchRefOutput(read_only=True)
    quantity = _quantity(read_only=True)

    class Meta:
        model = Batch
        fields = ["id", "number", "product", "producer", "quantity", "unit", "status"]


class BatchOutput(serializers.ModelSerializer[Batch]):
    product = BatchRefOutput(read_only=True)
    producer = BatchRefOutput(read_only=True)
    base = BatchRefOutput(read_only=True, allow_null=True)
    grade = BatchRefOutput(
        read_only=True, allow_null=True, help_text="关联的合格检测报告中的最高等级"
    )
    quantity = _quantity(read_only=True)
    remaining = serializers.SerializerMethodField(help_text="批次数量减去追溯事件已投入的数量")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    harvest_logs = serializers.SerializerMethodField(help_text="组成本批次的采收记录 id")
    test_reports = BatchReportBrief(many=True, read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id",
            "number",
            "product",
            "producer",
            "base",
            "quantity",
            "remaining",
            "unit",
            "harvest_date",
            "grade",
            "gtin",
            "status",
            "status_display",
            "released_at",
            "recalled_at",
            "recall_reason",
            "notes",
            "harvest_logs",
            "test_reports",
            "version",
            "created_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_harvest_logs(self, obj: Batch) -> list[int]:
        return sorted(log.pk for log in obj.harvest_logs.all())

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=3))
    def get_remaining(self, obj: Batch) -> str:
        left = getattr(obj, "remaining", None)
        if left is None:
            left = selectors.batch_remaining(batch=obj)
        return f"{left:.3f}"


class BatchTimelineOutput(serializers.Serializer[Any]):
    when = serializers.DateTimeField()
    stage = serializers.CharField(help_text="环节名称：采收、收购、储存、运输、加工、销售")
    stage_code = serializers.CharField(help_text="harvest 或追溯环节代码")
    who = serializers.CharField(help_text="主体名称")
    place = serializers.CharField()
    description = serializers.CharField()
    event_id = serializers.IntegerField(allow_null=True)


class BatchRecipientItemOutput(serializers.Serializer[Any]):
    batch_id = serializers.IntegerField()
    number = serializers.CharField()
    quantity = _quantity()
    unit = serializers.CharField()


class BatchRecipientOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    producer_id = serializers.IntegerField(allow_null=True, help_text="名录内主体时为其 id")
    event_id = serializers.IntegerField()
    stage = serializers.CharField()
    when = serializers.DateTimeField()
    items = BatchRecipientItemOutput(many=True)


class BatchOriginBaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    producer = serializers.CharField()
    division = serializers.CharField()
    address = serializers.CharField()
    area_mu = serializers.CharField()
    longitude = serializers.CharField(allow_null=True)
    latitude = serializers.CharField(allow_null=True)


class BatchOriginHarvestOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    date = serializers.DateField()
    base_id = serializers.IntegerField()
    base = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.CharField(allow_null=True)
    unit = serializers.CharField()


class BatchOriginInputOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    date = serializers.DateField()
    base_id = serializers.IntegerField()
    base = serializers.CharField()
    category = serializers.CharField()
    name = serializers.CharField()
    active_ingredient = serializers.CharField()
    registration_number = serializers.CharField()
    dose = serializers.CharField()
    safety_interval_days = serializers.IntegerField(allow_null=True)
    harvest_allowed_from = serializers.DateField(allow_null=True)


class BatchOriginsOutput(serializers.Serializer[Any]):
    bases = BatchOriginBaseOutput(many=True)
    harvests = BatchOriginHarvestOutput(many=True)
    inputs = BatchOriginInputOutput(
        many=True, help_text="各次采收所在生长季（上次采收之后、一年以内）的投入品使用记录"
    )


class BatchLineageOutput(serializers.Serializer[Any]):
    batch = BatchBriefOutput()
    upstream = BatchBriefOutput(many=True, help_text="来源批次（递归），由近及远")
    downstream = BatchBriefOutput(many=True, help_text="由本批次产生的批次（递归），由近及远")
    origins = BatchOriginsOutput()
    timeline = BatchTimelineOutput(many=True)
    recipients = BatchRecipientOutput(
        many=True, help_text="本批次及下游批次的收货方与所收批次、数量"
    )


class BatchRecallOutput(serializers.Serializer[Any]):
    batch = BatchOutput()
    cascaded = BatchBriefOutput(many=True, help_text="随同召回的下游批次")
    recipients = BatchRecipientOutput(many=True)


# --- Input -------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class HarvestLogField(ScopedRelatedField):
    """Harvest logs in the caller's scope; the service checks kind, status and batch."""

    def rows(self, user: Any) -> QuerySet[ProductionLog]:
        return ProductionLog.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class ReportField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[TestReport]:
        return TestReport.objects.restrict(user)


class BatchCreateInput(serializers.Serializer[Any]):
    harvest_logs = serializers.ListField(
        child=HarvestLogField(),
        allow_empty=False,
        max_length=services.MAX_LOGS,
        help_text="已完成的采收记录 id（同一主体、产品、单位；每条只能组入一个批次）",
    )
    quantity = _quantity(
        required=False,
        allow_null=True,
        default=None,
        help_text="省略时为采收数量合计；不能超过合计",
    )
    gtin = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    reports = serializers.ListField(
        child=ReportField(), required=False, default=list, max_length=services.MAX_REPORTS
    )


class BatchUpdateInput(serializers.Serializer[Any]):
    gtin = serializers.CharField(max_length=20, allow_blank=True)
    notes = serializers.CharField(max_length=2000, allow_blank=True)


class BatchReportsInput(serializers.Serializer[Any]):
    reports = serializers.ListField(
        child=ReportField(), required=False, default=list, max_length=services.MAX_REPORTS
    )
    codes = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        default=list,
        max_length=services.MAX_REPORTS,
        help_text="样品编号或批次号：该主体该产品中编号匹配的报告全部关联",
    )


class BatchRecallInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class BatchListParams(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=60, required=False)
    product = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    producer = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    status = serializers.ChoiceField(choices=BatchStatus.choices, required=False)
    date_from = serializers.DateField(required=False, help_text="采收日期起")
    date_to = serializers.DateField(required=False, help_text="采收日期止")


def _batch_out(request: Request, pk: int) -> dict[str, Any]:
    batch = selectors.batch_get_for_user(user=request.user, pk=pk)
    return dict(BatchOutput(batch, context={"request": request}).data)


def _managed(request: Request, pk: int) -> Batch:
    batch = selectors.batch_get_for_user(user=request.user, pk=pk)
    require(
        can_manage_batch(request.user, batch),
        "只有该批次的生产经营主体或所在县的县级管理员可以操作。",
    )
    return batch


# --- Endpoints ---------------------------------------------------------------------------------


class BatchListApi(ListApi):
    serializer_class = BatchOutput

    @extend_schema(
        parameters=[BatchListParams],
        responses=BatchOutput(many=True),
        summary="批次列表（主体看本主体的和收到的，政府用户看辖区的）",
        description="q 搜索批次号、主体名称、基地名称，或按 GTIN 精确查找。",
    )
    def get(self, request: Request) -> Response:
        require(can_view_batches(request.user), "没有查看批次的权限。")
        params = BatchListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = selectors.BatchFilters(**params.validated_data)
        rows = selectors.batch_list_for_user(user=request.user, filters=filters)
        return self.page_of(
            selectors.with_remaining(rows).prefetch_related("test_reports__grade", "harvest_logs")
        )

    @extend_schema(
        request=BatchCreateInput,
        responses={201: BatchOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="由采收记录组批（生产经营主体；县级管理员可为本县主体组批）",
        description=f"错误代码：{CREATE_ERRORS}。",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_keep_batches(request.user), "只有生产经营主体和县级管理员可以组批。")
        data = validated(BatchCreateInput, request)
        batch = services.batch_create(
            actor=request_user(request), harvest_logs=data.pop("harvest_logs"), **data
        )
        return Response(_batch_out(request, batch.pk), status=status.HTTP_201_CREATED)


class BatchDetailApi(APIView):
    @extend_schema(responses=BatchOutput, summary="批次详情")
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_batches(request.user), "没有查看批次的权限。")
        return Response(_batch_out(request, pk))

    @extend_schema(
        request=BatchUpdateInput,
        responses=BatchOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改批次的 GTIN（校验校验位）和备注；已召回的批次不能修改",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        batch = _managed(request, pk)
        data = validated(BatchUpdateInput, request)
        services.batch_update(actor=request_user(request), batch=batch, **data)
        return Response(_batch_out(request, pk))


class BatchReportsApi(APIView):
    @extend_schema(
        request=BatchReportsInput,
        responses=BatchOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="关联检测报告（同一主体、同一产品）；等级随合格报告中的最高等级",
        description="错误代码：reports_required、report_not_found、report_mismatch。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        batch = _managed(request, pk)
        data = validated(BatchReportsInput, request)
        services.batch_reports_link(actor=request_user(request), batch=batch, **data)
        return Response(_batch_out(request, pk))


class BatchReleaseApi(APIView):
    @extend_schema(
        request=None,
        responses=BatchOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="放行批次；关联检测不合格时返回 409 batch_failed_test",
        description="错误代码：batch_failed_test（409）、invalid_transition（409）。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        batch = _managed(request, pk)
        services.batch_release(actor=request_user(request), batch=batch)
        return Response(_batch_out(request, pk))


class BatchRecallApi(APIView):
    @extend_schema(
        request=BatchRecallInput,
        responses=BatchRecallOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="召回批次（须填写原因），同时召回全部下游批次，返回收货方清单",
        description="错误代码：reason_required、reason_too_long、invalid_transition（409）。",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        batch = _managed(request, pk)
        data = validated(BatchRecallInput, request)
        result = services.batch_recall(actor=request_user(request), batch=batch, **data)
        body = {
            "batch": _batch_out(request, pk),
            "cascaded": BatchBriefOutput(result.cascaded, many=True).data,
            "recipients": BatchRecipientOutput(result.recipients, many=True).data,
        }
        return Response(body)


class BatchLineageApi(APIView):
    @extend_schema(
        responses=BatchLineageOutput,
        summary="批次追溯：上游来源批次、下游批次、基地与投入品、时间线和收货方",
    )
    def get(self, request: Request, pk: int) -> Response:
        require(can_view_batches(request.user), "没有查看批次的权限。")
        batch = selectors.batch_get_for_user(user=request.user, pk=pk)
        body = {
            "batch": BatchBriefOutput(batch).data,
            "upstream": BatchBriefOutput(lineage.batch_upstream(batch), many=True).data,
            "downstream": BatchBriefOutput(lineage.batch_downstream(batch), many=True).data,
            "origins": lineage.batch_origins(batch),
            "timeline": BatchTimelineOutput(lineage.batch_timeline(batch), many=True).data,
            "recipients": BatchRecipientOutput(lineage.recall_recipients(batch), many=True).data,
        }
        return Response(body)


urlpatterns = [
    path("batches/", BatchListApi.as_view(), name="api-batch-list"),
    path("batches/<int:pk>/", BatchDetailApi.as_view(), name="api-batch-detail"),
    path("batches/<int:pk>/reports/", BatchReportsApi.as_view(), name="api-batch-reports"),
    path("batches/<int:pk>/release/", BatchReleaseApi.as_view(), name="api-batch-release"),
    path("batches/<int:pk>/recall/", BatchRecallApi.as_view(), name="api-batch-recall"),
    path("batches/<int:pk>/lineage/", BatchLineageApi.as_view(), name="api-batch-lineage"),
]
