"""API v1: counterfeit alerts (防伪预警), their thresholds, and the reconciliation of a label-use
authorization (用标核对). Scoped: another county's alert or authorization is a 404."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi, int_query_param, validated
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.counterfeit import trace_settings
from dibiao.trace.models import CounterfeitAlert
from dibiao.trace.permissions.alerts import (
    can_run_reconciliation,
    can_view_alerts,
    can_view_reconciliation,
    can_view_trace_settings,
)
from dibiao.trace.reconciliation import labels_per_kg, reconcile
from dibiao.trace.selectors import alerts as selectors
from dibiao.trace.services import alerts as services


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


class TraceRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AlertOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AlertKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.ChoiceField(choices=AlertStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    division = TraceRefOutput()
    producer = TraceRefOutput(allow_null=True)
    product = TraceRefOutput(source="issuance.product", allow_null=True, default=None)
    issuance = serializers.CharField(source="issuance.number", allow_null=True, default=None)
    serial = serializers.IntegerField(allow_null=True)
    code = serializers.SerializerMethodField(help_text="预警所涉的追溯码（分组显示）")
    evidence = serializers.DictField(help_text="证据：次数、网络数、时间、距离等，不含个人信息")
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.CharField(allow_null=True, default=None)
    note = serializers.CharField()

    def get_code(self, alert: CounterfeitAlert) -> str:
        return selectors.alert_code(alert)


class AlertListApi(ListApi):
    serializer_class = AlertOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=AlertKind.values),
            OpenApiParameter("status", str, enum=AlertStatus.values),
            OpenApiParameter("product", int, description="地理标志产品 id"),
            OpenApiParameter("division", int, description="行政区划 id"),
        ],
        responses=AlertOutput(many=True),
        summary="防伪预警列表（数据范围内：县看本县，省看全省）",
    )
    def get(self, request: Request) -> Response:
        _require(can_view_alerts(request.user), "只有各级农业农村部门可以查看防伪预警。")
        rows = selectors.alert_list_for_user(
            user=request.user,
            kind=request.query_params.get("kind", ""),
            status=request.query_params.get("status", ""),
            product=int_query_param(request, "product"),
            division=int_query_param(request, "division"),
        )
        return self.page_of(rows)


class AlertDetailApi(APIView):
    @extend_schema(responses=AlertOutput, summary="防伪预警详情（含证据）")
    def get(self, request: Request, pk: int) -> Response:
        alert = selectors.alert_get_for_user(user=request.user, pk=pk)
        _require(can_view_alerts(request.user), "只有各级农业农村部门可以查看防伪预警。")
        return Response(AlertOutput(alert).data)


class AlertCloseInput(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=1000, help_text="处理说明：核查情况与处理结果")


class AlertCloseApi(APIView):
    @extend_schema(
        request=AlertCloseInput,
        responses=AlertOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="处理（关闭）防伪预警，须填写处理说明（县级或省级管理员）；已处理的返回 409 alert_closed",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        alert = selectors.alert_get_for_user(user=request.user, pk=pk)
        data = validated(AlertCloseInput, request)
        closed = services.alert_close(actor=request_user(request), alert=alert, note=data["note"])
        return Response(
            AlertOutput(selectors.alert_get_for_user(user=request.user, pk=closed.pk)).data
        )


class TraceSettingsOutput(serializers.Serializer[Any]):
    max_scans_per_code = serializers.IntegerField(help_text="单码查询次数上限")
    max_networks_per_code = serializers.IntegerField(help_text="单码查询网络数上限")
    max_speed_kmh = serializers.IntegerField(help_text="两次查询间最大合理速度（公里/小时）")
    max_mac_failures_per_hour = serializers.IntegerField(help_text="同一网络每小时伪造码上限")
    scans_per_minute = serializers.IntegerField(help_text="同一客户端网络每分钟查询上限")
    updated_at = serializers.DateTimeField(read_only=True)


class TraceSettingsInput(serializers.Serializer[Any]):
    max_scans_per_code = serializers.IntegerField(min_value=2, max_value=1_000_000)
    max_networks_per_code = serializers.IntegerField(min_value=2, max_value=1_000_000)
    max_speed_kmh = serializers.IntegerField(min_value=50, max_value=100_000)
    max_mac_failures_per_hour = serializers.IntegerField(min_value=1, max_value=1_000_000)
    scans_per_minute = serializers.IntegerField(min_value=5, max_value=1_000_000)


class TraceSettingsApi(APIView):
    @extend_schema(responses=TraceSettingsOutput, summary="防伪预警阈值")
    def get(self, request: Request) -> Response:
        _require(can_view_trace_settings(request.user), "只有各级农业农村部门可以查看预警阈值。")
        return Response(TraceSettingsOutput(trace_settings()).data)

    @extend_schema(
        request=TraceSettingsInput,
        responses=TraceSettingsOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改防伪预警阈值（省级管理员；全部字段）",
    )
    @idempotent
    def put(self, request: Request) -> Response:
        data = validated(TraceSettingsInput, request)
        current = services.trace_settings_update(actor=request_user(request), **data)
        return Response(TraceSettingsOutput(current).data)


class ReconciliationIssuanceOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    first_serial = serializers.IntegerField()
    last_serial = serializers.IntegerField()
    count = serializers.IntegerField()


class ReconciliationHarvestOutput(serializers.Serializer[Any]):
    unit = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3)
    batches = serializers.IntegerField()


class ReconciliationBatchOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="batch.pk")
    number = serializers.CharField(source="batch.number")
    harvest_date = serializers.DateField(source="batch.harvest_date")
    quantity = serializers.DecimalField(source="batch.quantity", max_digits=20, decimal_places=3)
    unit = serializers.CharField(source="batch.unit")
    labels_bound = serializers.IntegerField(help_text="绑定到该批次的标签（枚，全部授权）")
    labels_bound_here = serializers.IntegerField(help_text="其中本授权发放的（枚）")
    labels_allowed = serializers.IntegerField(
        allow_null=True, help_text="该批次可用标签上限（枚）；单位无法换算时为 null"
    )
    over = serializers.BooleanField(help_text="超量用标")


class ReconciliationAuthorizationOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    producer = TraceRefOutput()
    product = TraceRefOutput()
    year = serializers.IntegerField()
    authorized_quantity = serializers.IntegerField(allow_null=True)


class ReconciliationOutput(serializers.Serializer[Any]):
    authorization = ReconciliationAuthorizationOutput()
    labels_issued = serializers.IntegerField(help_text="已发放标签（枚）")
    labels_by_state = serializers.DictField(
        child=serializers.IntegerField(), help_text="issued 未激活、active 已绑定、voided 已作废"
    )
    harvested = ReconciliationHarvestOutput(
        many=True, help_text="该主体该产品该年度采收批次合计（按单位）"
    )
    harvest_capacity = serializers.IntegerField(
        allow_null=True, help_text="采收量可用标签数（可换算单位）"
    )
    labels_per_kg = serializers.IntegerField(help_text="每千克可用标签数（按最小包装）")
    over_authorized = serializers.BooleanField()
    over_harvest = serializers.BooleanField()
    flagged = serializers.BooleanField()
    batches = ReconciliationBatchOutput(many=True)
    issuances = ReconciliationIssuanceOutput(many=True)
    alerts = serializers.ListField(child=serializers.IntegerField(), help_text="超量用标预警 id")


def _reconciliation_out(request: Request, pk: int) -> dict[str, Any]:
    authorization = selectors.reconciliation_get_for_user(user=request.user, pk=pk)
    _require(can_view_reconciliation(request.user), "没有查看用标核对的权限。")
    report = reconcile(authorization)
    alerts = selectors.over_labelling_alerts(user=request.user, authorization=authorization)
    data = {
        "authorization": authorization,
        "labels_issued": report.labels_issued,
        "labels_by_state": report.labels_by_state,
        "harvested": report.harvested,
        "harvest_capacity": report.harvest_capacity,
        "labels_per_kg": labels_per_kg(),
        "over_authorized": report.over_authorized,
        "over_harvest": report.over_harvest,
        "flagged": report.flagged,
        "batches": report.batches,
        "issuances": report.issuances,
        "alerts": list(alerts.values_list("pk", flat=True)),
    }
    return dict(ReconciliationOutput(data).data)


class ReconciliationApi(APIView):
    @extend_schema(
        responses=ReconciliationOutput,
        summary="用标核对：授权数量、已发放、采收量与各批次绑定标签数（超量用标标记）",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_reconciliation_out(request, pk))


class ReconciliationCheckApi(APIView):
    @extend_schema(
        request=None,
        responses=ReconciliationOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="核对并对超量用标的批次生成防伪预警（县级或省级管理员）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        authorization = selectors.reconciliation_get_for_user(user=request.user, pk=pk)
        _require(can_run_reconciliation(request.user), "只有县级或省级管理员可以生成核对预警。")
        services.over_labelling_check(authorization=authorization)
        return Response(_reconciliation_out(request, pk))


urlpatterns = [
    path("trace/alerts/", AlertListApi.as_view(), name="api-alert-list"),
    path("trace/alerts/<int:pk>/", AlertDetailApi.as_view(), name="api-alert-detail"),
    path("trace/alerts/<int:pk>/close/", AlertCloseApi.as_view(), name="api-alert-close"),
    path("trace/settings/", TraceSettingsApi.as_view(), name="api-trace-settings"),
    path(
        "trace/reconciliation/<int:pk>/",
        ReconciliationApi.as_view(),
        name="api-reconciliation-detail",
    ),
    path(
        "trace/reconciliation/<int:pk>/check/",
        ReconciliationCheckApi.as_view(),
        name="api-reconciliation-check",
    ),
]
