"""API v1: production logs (生产日志) — list, detail, record, change, complete."""

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
from dibiao.producers.models import ProductionBase
from dibiao.production import selectors
from dibiao.production.choices import InputCategory, LogKind, LogStatus
from dibiao.production.models import ProductionLog
from dibiao.production.permissions import can_keep_logs
from dibiao.production.services import logs as services
from dibiao.registry.models import GIProduct


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


class ProductionRef(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_field(OpenApiTypes.INT)
class ScopedBaseField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[ProductionBase]:
        return ProductionBase.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class LogProductField(ScopedRelatedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return selectors.log_product_choices(user=user)


class LogTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, except that a time at the edge of the calendar is a 400: DRF's own
    ambiguity check of a naive time in year 1 overflows (a 500). The range rule itself is the
    service's (`occurred_at_out_of_range`)."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(
                f"时间应在 {services.EARLIEST_YEAR} 年至 {services.LATEST_YEAR} 年之间。"
            ) from None


class LogOutput(serializers.ModelSerializer[ProductionLog]):
    base = ProductionRef(read_only=True)
    producer = ProductionRef(source="base.producer", read_only=True)
    product = ProductionRef(read_only=True)
    kind_display = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField(help_text="记录人；系统导入的为空")

    class Meta:
        model = ProductionLog
        fields = [
            "id",
            "kind",
            "kind_display",
            "occurred_at",
            "base",
            "producer",
            "product",
            "title",
            "operator",
            "quantity",
            "unit",
            "notes",
            "status",
            "status_display",
            "input_category",
            "input_name",
            "registration_number",
            "active_ingredient",
            "dose",
            "applied_area_mu",
            "safety_interval_days",
            "harvest_allowed_from",
            "recorded_by",
            "created_at",
            "updated_at",
        ]

    def get_kind_display(self, obj: ProductionLog) -> str:
        return str(obj.get_kind_display())

    def get_status_display(self, obj: ProductionLog) -> str:
        return str(obj.get_status_display())

    def get_recorded_by(self, obj: ProductionLog) -> str:
        # Not a source="recorded_by.__str__" field: with no recorder that calls None.__str__
        # and answers "None".
        return str(obj.recorded_by) if obj.recorded_by is not None else ""


class LogInput(serializers.Serializer[Any]):
    base = ScopedBaseField(help_text="基地 id（数据范围内）")
    kind = serializers.ChoiceField(choices=LogKind.choices)
    occurred_at = LogTimeField(help_text="时间；已完成的日志不能晚于现在")
    status = serializers.ChoiceField(choices=LogStatus.choices, default=LogStatus.DONE)
    product = LogProductField(
        required=False, allow_null=True, help_text="产品 id；默认为基地的产品"
    )
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    operator = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="默认为当前用户"
    )
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=0, required=False, allow_null=True
    )
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    input_category = serializers.ChoiceField(
        choices=InputCategory.choices, required=False, allow_blank=True
    )
    input_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    registration_number = serializers.CharField(max_length=50, required=False, allow_blank=True)
    active_ingredient = serializers.CharField(max_length=200, required=False, allow_blank=True)
    dose = serializers.CharField(max_length=50, required=False, allow_blank=True)
    applied_area_mu = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    safety_interval_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True
    )


class LogQuery(serializers.Serializer[Any]):
    base = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    product = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_ID)
    kind = serializers.ChoiceField(choices=LogKind.choices, required=False)
    status = serializers.ChoiceField(choices=LogStatus.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    q = serializers.CharField(required=False, max_length=100)


def _log_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(LogOutput(selectors.log_get_for_user(user=request.user, pk=pk)).data)


class LogListApi(ListApi):
    serializer_class = LogOutput

    @extend_schema(
        parameters=[LogQuery],
        responses=LogOutput(many=True),
        summary="生产日志列表（数据范围内；可按基地、产品、类型、状态、日期和关键词筛选）",
    )
    def get(self, request: Request) -> Response:
        query = LogQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = selectors.LogFilters(
            base=data.get("base"),
            product=data.get("product"),
            kind=data.get("kind", ""),
            status=data.get("status", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=data.get("q", "").strip(),
        )
        return self.page_of(selectors.log_list_for_user(user=request.user, filters=filters))

    @extend_schema(
        request=LogInput,
        responses={201: LogOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="记录生产日志；安全间隔期内采收返回 409 harvest_within_safety_interval，禁用/限用投入品返回 input_banned / input_restricted",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        require(can_keep_logs(request.user), "只有生产经营主体和县级管理员可以记录生产日志。")
        data = dict(validated(LogInput, request))
        base = data.pop("base")
        log = services.log_create(actor=request_user(request), base=base, data=data)
        return Response(_log_out(request, log.pk), status=status.HTTP_201_CREATED)


class LogPatchInput(LogInput):
    base = ScopedBaseField(required=False, help_text="移到另一基地（数据范围内）")
    kind = serializers.ChoiceField(choices=LogKind.choices, required=False)
    occurred_at = LogTimeField(required=False)
    status = serializers.ChoiceField(choices=LogStatus.choices, required=False)


class LogDetailApi(APIView):
    @extend_schema(responses=LogOutput, summary="生产日志详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_log_out(request, pk))

    @extend_schema(
        request=LogPatchInput,
        responses=LogOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改生产日志（部分字段）；安全间隔期与禁限用检查重新进行",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        log = selectors.log_get_for_user(user=request.user, pk=pk)
        require(can_keep_logs(request.user), "只有生产经营主体和县级管理员可以修改生产日志。")
        body = LogPatchInput(data=request.data, partial=True, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        base = data.pop("base", None)
        services.log_update(actor=request_user(request), log=log, base=base, data=data)
        return Response(_log_out(request, pk))


class LogCompleteInput(serializers.Serializer[Any]):
    occurred_at = LogTimeField(
        required=False, allow_null=True, help_text="实际完成时间；默认沿用计划时间（未到则为现在）"
    )


class LogCompleteApi(APIView):
    @extend_schema(
        request=LogCompleteInput,
        responses=LogOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="把计划中的日志标记为已完成；已完成的返回 409 invalid_transition",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        log = selectors.log_get_for_user(user=request.user, pk=pk)
        require(can_keep_logs(request.user), "只有生产经营主体和县级管理员可以修改生产日志。")
        data = validated(LogCompleteInput, request)
        services.log_complete(
            actor=request_user(request), log=log, occurred_at=data.get("occurred_at")
        )
        return Response(_log_out(request, pk))


urlpatterns = [
    path("production-logs/", LogListApi.as_view(), name="api-production-log-list"),
    path("production-logs/<int:pk>/", LogDetailApi.as_view(), name="api-production-log-detail"),
    path(
        "production-logs/<int:pk>/complete/",
        LogCompleteApi.as_view(),
        name="api-production-log-complete",
    ),
]
