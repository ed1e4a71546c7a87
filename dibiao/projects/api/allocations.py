"""API v1: allocations (资金分配) and their spending."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction
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
from dibiao.projects.api.common import (
    AllocationOutput,
    ResponsibleField,
    ScopedProductField,
    ScopedProgramField,
    SpendingOutput,
    _int_param,
    _money,
    _require,
    _valid,
)
from dibiao.projects.permissions import can_keep_ledger, can_manage_programs

# --- Allocations ---------------------------------------------------------------------------


class AllocationInput(serializers.Serializer[Any]):
    program = ScopedProgramField()
    product = ScopedProductField()
    amount = _money()
    division = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text="实施地区代码；不填则按产品所在县（跨县产品为市）确定",
    )


class AllocationPatchInput(serializers.Serializer[Any]):
    amount = _money(required=False)
    responsible = ResponsibleField(required=False)
    disbursed_on = serializers.DateField(required=False)


def _allocation_out(request: Request, pk: int) -> dict[str, Any]:
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    return dict(AllocationOutput(allocation).data)


class AllocationListApi(ListApi):
    serializer_class = AllocationOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("program", int, description="保护工程 id"),
            OpenApiParameter("q", str, description="产品名称"),
        ],
        responses=AllocationOutput(many=True),
        summary="资金分配列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        program_id = _int_param(request, "program")
        rows = selectors.allocation_list_for_user(
            user=request.user, q=request.query_params.get("q", "").strip()
        )
        if program_id is not None:
            rows = rows.filter(program_id=program_id)
        return self.page_of(rows)

    @extend_schema(
        request=AllocationInput,
        responses={201: AllocationOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="为产品分配资金（省级管理员）；合计超过总预算返回 over_budget",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(can_manage_programs(request.user), "只有省级管理员可以分配资金。")
        data = _valid(AllocationInput, request)
        allocation = services.allocation_create(actor=request_user(request), **data)
        return Response(_allocation_out(request, allocation.pk), status=status.HTTP_201_CREATED)


class AllocationDetailApi(APIView):
    @extend_schema(responses=AllocationOutput, summary="资金分配详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_allocation_out(request, pk))

    @extend_schema(
        request=AllocationPatchInput,
        responses=AllocationOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="调整资金分配：金额与资金下达日期（省级管理员），资金专管员（县级或省级管理员）",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
        user = request_user(request)
        if "amount" in request.data or "disbursed_on" in request.data:
            _require(can_manage_programs(user), "只有省级管理员可以调整资金分配。")
        if "responsible" in request.data:
            _require(
                can_keep_ledger(user) or can_manage_programs(user), "没有指定资金专管员的权限。"
            )
        data = _valid(AllocationPatchInput, request, allocation=allocation)
        with transaction.atomic():  # all the changes or none
            if "amount" in data:
                allocation = services.allocation_change_amount(
                    actor=user, allocation=allocation, amount=data["amount"]
                )
            if "disbursed_on" in data:
                allocation = services.allocation_record_disbursement(
                    actor=user, allocation=allocation, disbursed_on=data["disbursed_on"]
                )
            if "responsible" in data:
                services.allocation_set_responsible(
                    actor=user, allocation=allocation, responsible=data["responsible"]
                )
        return Response(_allocation_out(request, pk))


class AllocationSpendingApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("by", str, enum=["area", "month"], description="分组方式")],
        responses=SpendingOutput,
        summary="资金分配的已审核支出：按实施内容或按月份，含占比与累计执行率",
    )
    def get(self, request: Request, pk: int) -> Response:
        allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
        by = request.query_params.get("by", "area")
        if by not in ("area", "month"):
            raise serializers.ValidationError({"by": ["应为 area 或 month。"]})
        rows = selectors.allocation_spending_table(allocation=allocation, field=by)
        body = {
            "allocation": allocation.pk,
            "by": by,
            "rows": [{**asdict(r), "name": r.label} for r in rows],
        }
        return Response(SpendingOutput(body).data)
