"""API v1: the fund ledger (资金台账): payments, review, reversals."""

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
    EntryOutput,
    ScopedAllocationField,
    ScopedContractField,
    _int_param,
    _money,
    _require,
    _valid,
)
from dibiao.projects.choices import (
    EntryStatus,
    ImplementationArea,
)
from dibiao.projects.permissions import can_keep_ledger, can_review_entries

# --- Fund ledger ---------------------------------------------------------------------------


class EntryInput(serializers.Serializer[Any]):
    allocation = ScopedAllocationField(required=False, help_text="不填则取合同所属的资金分配")
    contract = ScopedContractField(required=False, allow_null=True)
    voucher_number = serializers.CharField(max_length=60)
    paid_on = serializers.DateField()
    payee = serializers.CharField(max_length=200)
    amount = _money()
    area = serializers.ChoiceField(choices=ImplementationArea.choices)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("allocation") is None:
            if attrs.get("contract") is None:
                raise serializers.ValidationError({"allocation": ["请填写资金分配或合同。"]})
            attrs["allocation"] = attrs["contract"].allocation
        return attrs


def _entry_out(request: Request, pk: int) -> dict[str, Any]:
    return dict(EntryOutput(selectors.entry_get_for_user(user=request.user, pk=pk)).data)


class EntryListApi(ListApi):
    serializer_class = EntryOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("allocation", int, description="资金分配 id"),
            OpenApiParameter("contract", int, description="合同 id"),
            OpenApiParameter("status", str, enum=EntryStatus.values),
        ],
        responses=EntryOutput(many=True),
        summary="资金台账分录列表（数据范围内）",
    )
    def get(self, request: Request) -> Response:
        allocation_id = _int_param(request, "allocation")
        contract_id = _int_param(request, "contract")
        rows = selectors.entry_list_for_user(
            user=request.user, status=request.query_params.get("status", "")
        )
        if allocation_id is not None:
            rows = rows.filter(allocation_id=allocation_id)
        if contract_id is not None:
            rows = rows.filter(contract_id=contract_id)
        return self.page_of(rows)

    @extend_schema(
        request=EntryInput,
        responses={201: EntryOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="登记支出（县级管理员），待另一人审核；超过合同或资金分配返回 over_contract / over_allocation",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(can_keep_ledger(request.user), "只有县级管理员（实施主体）可以记录支出。")
        data = _valid(EntryInput, request)
        entry = services.entry_record(
            actor=request_user(request),
            contract=data.pop("contract", None),
            **data,
        )
        return Response(_entry_out(request, entry.pk), status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    @extend_schema(responses=EntryOutput, summary="资金台账分录详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_entry_out(request, pk))


class EntryReviewInput(serializers.Serializer[Any]):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class EntryReviewApi(APIView):
    @extend_schema(
        request=EntryReviewInput,
        responses=EntryOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="审核分录：通过或退回（退回须填写意见）；记账人审核自己的分录返回 403 four_eyes",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_get_for_user(user=request.user, pk=pk)
        _require(can_review_entries(request.user), "没有审核资金台账的权限。")
        data = _valid(EntryReviewInput, request)
        services.entry_review(actor=request_user(request), entry=entry, **data)
        return Response(_entry_out(request, pk))


class EntryReverseInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class EntryReverseApi(APIView):
    @extend_schema(
        request=EntryReverseInput,
        responses={201: EntryOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="冲销已审核的支出：登记一笔冲销分录（待另一人审核后释放资金）",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        entry = selectors.entry_get_for_user(user=request.user, pk=pk)
        _require(can_keep_ledger(request.user), "只有县级管理员（实施主体）可以冲销支出。")
        data = _valid(EntryReverseInput, request)
        reversal = services.entry_reverse(actor=request_user(request), entry=entry, **data)
        return Response(_entry_out(request, reversal.pk), status=status.HTTP_201_CREATED)
