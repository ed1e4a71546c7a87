"""API v1: contracts (合同) with their deliverables."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.core.api import ListApi
from dibiao.core.idempotency import IDEMPOTENCY_HEADER, idempotent
from dibiao.projects import selectors, services
from dibiao.projects.api.common import (
    ContractOutput,
    ScopedAllocationField,
    ScopedOrganizationField,
    _int_param,
    _money,
    _require,
    _valid,
)
from dibiao.projects.choices import (
    ContractStatus,
    ImplementationArea,
)
from dibiao.projects.permissions import can_keep_ledger

# --- Contracts -----------------------------------------------------------------------------


class DeliverableInput(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=300)
    due_date = serializers.DateField()


class ContractInput(serializers.Serializer[Any]):
    allocation = ScopedAllocationField()
    number = serializers.CharField(max_length=60)
    title = serializers.CharField(max_length=200)
    party_b = ScopedOrganizationField(help_text="承担单位（组织机构 id）")
    amount = _money()
    area = serializers.ChoiceField(choices=ImplementationArea.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    signed_on = serializers.DateField()
    deliverables = DeliverableInput(many=True, required=False)


def _contract_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(ContractOutput(selectors.contract_get_for_user(user=request.user, pk=pk)).data)


class ContractListApi(ListApi):
    serializer_class = ContractOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("allocation", int, description="资金分配 id"),
            OpenApiParameter("status", str, enum=ContractStatus.values),
            OpenApiParameter("q", str, description="合同编号、名称或承担单位"),
        ],
        responses=ContractOutput(many=True),
        summary="合同列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        user = request.user
        params = request.query_params
        allocation_id = _int_param(request, "allocation")
        rows = selectors.contract_list_for_user(
            user=user, status=params.get("status", ""), q=params.get("q", "").strip()
        )
        if allocation_id is not None:
            rows = rows.filter(allocation_id=allocation_id)
        return self.page_of(rows)

    @extend_schema(
        request=ContractInput,
        responses={201: ContractOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记合同及交付物（县级管理员）；合同合计超过资金分配返回 over_allocation",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(can_keep_ledger(request.user), "只有县级管理员（实施主体）可以登记合同。")
        data = _valid(ContractInput, request)
        deliverables = [(d["description"], d["due_date"]) for d in data.pop("deliverables", [])]
        contract = services.contract_create(
            actor=request_user(request), deliverables=deliverables, **data
        )
        return Response(_contract_out(request, contract.pk), status=status.HTTP_201_CREATED)


class ContractDetailApi(APIView):
    @extend_schema(responses=ContractOutput, summary="合同详情（含交付物）")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_contract_out(request, pk))


class ContractStatusInput(serializers.Serializer[Any]):
    # All the statuses, so that the schema has one contract-status enum; the service refuses
    # "active" (409 invalid_transition).
    status = serializers.ChoiceField(choices=ContractStatus.choices)
    reason = serializers.CharField(max_length=300)


class ContractStatusApi(APIView):
    @extend_schema(
        request=ContractStatusInput,
        responses=ContractOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="变更合同状态（已完成或已终止，须填写原因）；终止时未支出部分退回资金分配",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        contract = selectors.contract_get_for_user(user=request.user, pk=pk)
        _require(can_keep_ledger(request.user), "只有县级管理员（实施主体）可以变更合同状态。")
        data = _valid(ContractStatusInput, request)
        services.contract_set_status(actor=request_user(request), contract=contract, **data)
        return Response(_contract_out(request, pk))
