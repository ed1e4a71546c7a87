"""API v1 of the dashboard: `GET /api/v1/dashboard/?program=&region=&as_of=` answers what the
page `/reports/dashboard/` draws — the headline figures, each product's red/amber/green with
its reason and the charts' series with their evidence links — for a provincial big screen or
another client. The same scope as the page: the caller's region, or a city or county inside it
(`region`; another is a 404)."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.core.api import int_query_param
from dibiao.evaluation.api.indicators import as_of_param, program_param
from dibiao.reports.dashboard import dashboard_for_user


class DashboardRagOutput(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=["green", "amber", "red", "grey"])
    label = serializers.CharField(help_text="正常 / 预警 / 滞后 / 无数据")  # type: ignore[assignment]
    reason = serializers.CharField()


class DashboardKpiOutput(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]  # the key is "label"
    value = serializers.CharField()
    unit = serializers.CharField()
    rag = DashboardRagOutput(allow_null=True)
    note = serializers.CharField()
    url = serializers.CharField(help_text="依据所在页面")


class DashboardProductOutput(serializers.Serializer[Any]):
    allocation = serializers.IntegerField(source="allocation.pk")
    product = serializers.CharField(source="allocation.product.name")
    division = serializers.CharField(source="allocation.division.code")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, source="allocation.amount")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    rate = serializers.DecimalField(max_digits=6, decimal_places=1, help_text="资金执行率（%）")
    funds = DashboardRagOutput(help_text="资金执行对照时序进度")
    rag = DashboardRagOutput(help_text="产品状态：最差的指标")
    url = serializers.CharField(source="detail_url", help_text="该产品的指标与依据")


class DashboardOutput(serializers.Serializer[Any]):
    program = serializers.IntegerField(source="program.pk")
    region = serializers.CharField(source="title", help_text="省、市或县的名称")
    as_of = serializers.DateField()
    kpis = DashboardKpiOutput(many=True)
    products = DashboardProductOutput(many=True, source="rows")
    charts = serializers.DictField(
        help_text="各图表的数据（funds_by_product, funds_by_month, heatmap, reporting, trace, "
        "training_media），与页面所画相同；字段见 docs/dashboards.md"
    )


class DashboardApi(APIView):
    @extend_schema(
        responses=DashboardOutput,
        parameters=[
            OpenApiParameter("program", int, required=True, description="保护工程 id"),
            OpenApiParameter("region", int, description="行政区划 id：数据范围内实施产品的市或县"),
            OpenApiParameter("as_of", str, description="取数截止日期 YYYY-MM-DD，默认今天"),
        ],
        summary="工作驾驶舱的数据（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        program = program_param(request)
        board = dashboard_for_user(
            user=request.user,
            program=program,
            region_id=int_query_param(request, "region"),
            as_of=as_of_param(request, program),
        )
        return Response(DashboardOutput(board).data)


urlpatterns = [path("dashboard/", DashboardApi.as_view(), name="api-dashboard")]
