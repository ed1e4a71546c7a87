"""API v1 of the indicators: per product of a program, each indicator's value, target, status
and evidence (`GET /api/v1/indicators/?program=&product=&as_of=`), and the catalogue.

Products are the program's allocations in the caller's scope (another scope's product is simply
not listed; an unknown or out-of-scope program is a 404). A list page carries evidence counts and
list links; asking for one `product` adds the evidence records themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.core.api import ListApi, int_query_param
from dibiao.core.errors import ForbiddenError
from dibiao.evaluation import selectors
from dibiao.evaluation.choices import Comparison, IndicatorPeriod, IndicatorStatus
from dibiao.evaluation.indicators import (
    CATALOGUE,
    EVIDENCE_ITEMS,
    indicators_compute,
    program_targets,
)
from dibiao.evaluation.permissions import can_view_evaluation
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.models import Program


def _figure(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True, **kwargs)


class EvidenceItemOutput(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]  # the key is "label"
    url = serializers.CharField(help_text="记录详情页")


class EvidenceOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="构成该值的记录数")
    items = EvidenceItemOutput(many=True, help_text="前几条记录（只在指定 product 时给出）")
    list_url = serializers.CharField(help_text="筛选后的列表页（没有时为空）")


class IndicatorDefinitionOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    area = serializers.ChoiceField(choices=ImplementationArea.choices)
    unit = serializers.CharField()
    period = serializers.ChoiceField(choices=IndicatorPeriod.choices)
    comparison = serializers.ChoiceField(choices=Comparison.choices)
    target_code = serializers.CharField(help_text="取目标值的工程指标代码（方案未定量的为空）")
    computation = serializers.CharField()
    evidence_kind = serializers.CharField(source="evidence", help_text="依据记录的类型")


class CatalogueEntryOutput(IndicatorDefinitionOutput):
    target = _figure(help_text="本工程的目标值")


class IndicatorValueOutput(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    period = serializers.ChoiceField(source="indicator.period", choices=IndicatorPeriod.choices)
    period_label = serializers.CharField()
    comparison = serializers.ChoiceField(source="indicator.comparison", choices=Comparison.choices)
    target = _figure()
    value = _figure(help_text="null：尚无可计算的数据（如资金尚未下达、报告未到期）")
    status = serializers.ChoiceField(choices=IndicatorStatus.choices)
    detail = serializers.CharField()
    evidence = EvidenceOutput()


class IndicatorProductRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IndicatorDivisionRef(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class ProductIndicatorsOutput(serializers.Serializer[Any]):
    allocation = serializers.IntegerField(source="allocation.pk")
    product = IndicatorProductRef(source="allocation.product")
    division = IndicatorDivisionRef(source="allocation.division")
    met = serializers.IntegerField(help_text="达标的指标数")
    indicators = IndicatorValueOutput(many=True, source="values")


def program_param(request: Request) -> Program:
    """`?program=`: a program of the caller's scope with products to measure (404 otherwise)."""
    if not can_view_evaluation(request.user):
        raise ForbiddenError("只有各级农业农村部门可以查看指标。")
    program_id = int_query_param(request, "program")
    if program_id is None:
        raise serializers.ValidationError({"program": ["必填。"]})
    return selectors.evaluation_program_for_user(user=request.user, pk=program_id)


def as_of_param(request: Request, program: Program) -> dt.date:
    """`?as_of=`: a day from 1 January of the program's year to today (default today)."""
    raw = request.query_params.get("as_of", "").strip()
    today = timezone.localdate()
    if not raw:
        return today
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise serializers.ValidationError({"as_of": ["日期格式应为 YYYY-MM-DD。"]}) from None
    if not dt.date(program.year, 1, 1) <= day <= today:
        raise serializers.ValidationError({"as_of": [f"应在 {program.year}-01-01 到今天之间。"]})
    return day


PARAMETERS = [
    OpenApiParameter("program", int, required=True, description="保护工程 id"),
    OpenApiParameter("product", int, description="产品 id：只看该产品，并给出依据记录"),
    OpenApiParameter("as_of", str, description="取数截止日期 YYYY-MM-DD，默认今天"),
]


class IndicatorListApi(ListApi):
    serializer_class = ProductIndicatorsOutput

    @extend_schema(
        responses=ProductIndicatorsOutput(many=True),
        parameters=PARAMETERS,
        summary="各产品的指标完成情况（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        program = program_param(request)
        as_of = as_of_param(request, program)
        product = int_query_param(request, "product")
        rows = selectors.indicator_allocations_for_user(
            user=request.user, program=program, product=product
        )
        page = self.paginate_queryset(rows) or []
        computed = indicators_compute(
            program=program,
            allocations=page,
            as_of=as_of,
            items=EVIDENCE_ITEMS if product is not None else 0,
        )
        return self.get_paginated_response(ProductIndicatorsOutput(computed, many=True).data)


class IndicatorCatalogueApi(APIView):
    @extend_schema(
        responses=CatalogueEntryOutput(many=True),
        parameters=[OpenApiParameter("program", int, required=True, description="保护工程 id")],
        summary="指标体系及本工程的目标值",
    )
    def get(self, request: Request) -> Response:
        program = program_param(request)
        targets = program_targets(program)
        rows = [
            {
                "code": ind.code,
                "name": ind.name,
                "area": ind.area,
                "unit": ind.unit,
                "period": ind.period,
                "comparison": ind.comparison,
                "target_code": ind.target_code,
                "computation": ind.computation,
                "evidence": ind.evidence,
                "target": targets[ind.code],
            }
            for ind in CATALOGUE
        ]
        return Response(CatalogueEntryOutput(rows, many=True).data)
