"""API v1 of the protection program: programs, allocations, contracts and the fund ledger.

Every write takes an `Idempotency-Key` header (`@idempotent`): a repeated key returns the first
answer and has no second effect. Detail and action handlers fetch through the selector first,
so another scope's object is a 404 whatever the caller's role; ids inside a request body that
the caller cannot see are refused like missing ids (400 `invalid`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dibiao.accounts.http import request_user
from dibiao.accounts.models import Organization, User
from dibiao.core.api import ListApi
from dibiao.core.errors import ForbiddenError
from dibiao.core.idempotency import idempotent
from dibiao.core.models import Division
from dibiao.projects import selectors, services
from dibiao.projects.choices import (
    ContractStatus,
    EntryStatus,
    ImplementationArea,
    ProgramStatus,
)
from dibiao.projects.errors import ProjectsError
from dibiao.projects.models import (
    Allocation,
    Contract,
    Deliverable,
    FundEntry,
    Program,
    ProgramTarget,
)
from dibiao.projects.permissions import can_keep_ledger, can_manage_programs, can_review_entries
from dibiao.registry.models import GIProduct

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="幂等键：同一键重复提交返回首次结果（响应头 Idempotent-Replayed: true），不会重复执行；同一键用于不同请求返回 422。",
)


def _money(**kwargs: Any) -> serializers.DecimalField:
    """Yuan with 2 places; written as a string ("1234.00"), read from a string or a number."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


# --- Output --------------------------------------------------------------------------------


class RefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class UserRef(serializers.Serializer[User]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="__str__", read_only=True)


class TargetOutput(serializers.ModelSerializer[ProgramTarget]):
    class Meta:
        model = ProgramTarget
        fields = ["code", "name", "area", "value", "unit", "period"]


class AllocationBrief(serializers.ModelSerializer[Allocation]):
    product = RefOutput(read_only=True)
    division = serializers.CharField(source="division.code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    amount = _money(read_only=True)
    contracted_total = _money(read_only=True)
    committed_total = _money(read_only=True)
    balance = _money(read_only=True)
    execution_rate = serializers.DecimalField(max_digits=6, decimal_places=1, read_only=True)
    responsible = UserRef(read_only=True, allow_null=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "product",
            "division",
            "division_name",
            "amount",
            "contracted_total",
            "committed_total",
            "balance",
            "execution_rate",
            "responsible",
            "disbursed_on",
        ]


class AllocationOutput(AllocationBrief):
    program_year = serializers.IntegerField(source="program.year", read_only=True)

    class Meta(AllocationBrief.Meta):
        fields = ["program", "program_year", *AllocationBrief.Meta.fields, "allocated_at"]


class ProgramOutput(serializers.ModelSerializer[Program]):
    province = serializers.CharField(source="province.code", read_only=True)
    province_name = serializers.CharField(source="province.name", read_only=True)
    total_budget = _money(read_only=True)
    allocated_total = _money(read_only=True)
    unallocated = _money(read_only=True)
    status_display = serializers.SerializerMethodField()
    quarter_ends = serializers.SerializerMethodField()
    targets = TargetOutput(many=True, read_only=True)
    allocations = AllocationBrief(many=True, read_only=True, source="visible_allocations")

    class Meta:
        model = Program
        fields = [
            "id",
            "year",
            "name",
            "province",
            "province_name",
            "total_budget",
            "allocated_total",
            "unallocated",
            "status",
            "status_display",
            "monthly_dispatch_day",
            "quarter_ends",
            "annual_summary_deadline",
            "targets",
            "allocations",
        ]

    def get_status_display(self, obj: Program) -> str:
        return str(obj.get_status_display())

    @extend_schema_field(serializers.ListField(child=serializers.DateField()))
    def get_quarter_ends(self, obj: Program) -> list[str]:
        return [f"{obj.year}-{md}" for md in ("03-31", "06-30", "09-30", "12-31")]


class DeliverableOutput(serializers.ModelSerializer[Deliverable]):
    class Meta:
        model = Deliverable
        fields = ["id", "description", "due_date", "delivered_on"]


class ContractOutput(serializers.ModelSerializer[Contract]):
    product = RefOutput(source="allocation.product", read_only=True)
    party_a = RefOutput(read_only=True)
    party_b = RefOutput(read_only=True)
    amount = _money(read_only=True)
    committed_total = _money(read_only=True)
    balance = _money(read_only=True)
    deliverables = DeliverableOutput(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id",
            "allocation",
            "product",
            "number",
            "title",
            "party_a",
            "party_b",
            "amount",
            "committed_total",
            "balance",
            "area",
            "start_date",
            "end_date",
            "signed_on",
            "status",
            "deliverables",
            "created_at",
        ]


class ContractRef(serializers.Serializer[Contract]):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True)


class EntryOutput(serializers.ModelSerializer[FundEntry]):
    contract = ContractRef(read_only=True, allow_null=True)
    amount = _money(read_only=True)
    recorded_by = UserRef(read_only=True)
    reviewed_by = UserRef(read_only=True, allow_null=True)

    class Meta:
        model = FundEntry
        fields = [
            "id",
            "allocation",
            "contract",
            "kind",
            "reverses",
            "voucher_number",
            "paid_on",
            "payee",
            "amount",
            "area",
            "description",
            "status",
            "recorded_by",
            "recorded_at",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]


class SpendingRowOutput(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="实施内容代码，或月份 YYYY-MM")
    name = serializers.CharField(help_text="实施内容名称或“2021年5月”")
    spent = _money(help_text="已审核支出减已审核冲销")
    share = serializers.DecimalField(max_digits=6, decimal_places=1, help_text="占补助资金 %")
    cumulative = _money()
    cumulative_rate = serializers.DecimalField(max_digits=6, decimal_places=1)


class SpendingOutput(serializers.Serializer[Any]):
    allocation = serializers.IntegerField()
    by = serializers.ChoiceField(choices=["area", "month"])
    rows = SpendingRowOutput(many=True)


# --- Input helpers: ids the caller can see, else "does not exist" --------------------------


class _ScopedField(serializers.PrimaryKeyRelatedField[Any]):
    def rows(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.rows(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProgramField(_ScopedField):
    def rows(self, user: Any) -> QuerySet[Program]:
        return selectors.program_list_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedAllocationField(_ScopedField):
    def rows(self, user: Any) -> QuerySet[Allocation]:
        return selectors.allocation_list_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedContractField(_ScopedField):
    def rows(self, user: Any) -> QuerySet[Contract]:
        return selectors.contract_list_for_user(user=user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedProductField(_ScopedField):
    def rows(self, user: Any) -> QuerySet[GIProduct]:
        return GIProduct.objects.restrict(user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedOrganizationField(_ScopedField):
    def rows(self, user: Any) -> QuerySet[Organization]:
        return Organization.objects.restrict(user).filter(is_active=True)


@extend_schema_field(OpenApiTypes.INT)
class ResponsibleField(_ScopedField):
    """Only the allocation's possible responsible persons exist here: user ids of other
    divisions cannot be probed."""

    def rows(self, user: Any) -> QuerySet[User]:
        return selectors.allocation_responsible_choices(allocation=self.context["allocation"])


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request, **kw: Any) -> Any:
    data = serializer_class(data=request.data, context={"request": request, **kw})
    data.is_valid(raise_exception=True)
    return data.validated_data


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise serializers.ValidationError({name: ["请输入整数 id。"]})
    return int(raw)


# --- Programs ------------------------------------------------------------------------------


class ProgramInput(serializers.Serializer[Any]):
    province = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Division.objects.all(),
        required=False,
        help_text="省级区划代码；不填则为调用者所在的省",
    )
    year = serializers.IntegerField(min_value=2019, max_value=2100)
    name = serializers.CharField(max_length=200)
    total_budget = _money()
    monthly_dispatch_day = serializers.IntegerField(min_value=1, max_value=28, default=5)
    annual_summary_deadline = serializers.DateField()


class ProgramPatchInput(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    total_budget = _money(required=False)
    monthly_dispatch_day = serializers.IntegerField(min_value=1, max_value=28, required=False)
    annual_summary_deadline = serializers.DateField(required=False)


def _program_out(request: Request, pk: int) -> dict[str, Any]:
    program = selectors.program_get_with_allocations(user=request.user, pk=pk)
    return dict(ProgramOutput(program).data)


class ProgramListApi(ListApi):
    serializer_class = ProgramOutput

    @extend_schema(
        parameters=[OpenApiParameter("year", int, description="年度")],
        responses=ProgramOutput(many=True),
        summary="保护工程列表（含数据范围内的资金分配）",
    )
    def get(self, request: Request) -> Response:
        year = _int_param(request, "year")
        return self.page_of(selectors.program_list_with_allocations(user=request.user, year=year))

    @extend_schema(
        request=ProgramInput,
        responses={201: ProgramOutput},
        parameters=[IDEMPOTENCY_HEADER],
        summary="新建年度保护工程（省级管理员；自动带入实施方案指标）",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        _require(can_manage_programs(request.user), "只有省级管理员可以创建保护工程。")
        data = _valid(ProgramInput, request)
        if "province" not in data:
            provinces = list(selectors.program_provinces_for_user(user=request.user)[:2])
            if len(provinces) != 1:
                raise ProjectsError("invalid_province", "请填写省级区划代码 province。")
            data["province"] = provinces[0]
        program = services.program_create(actor=request_user(request), **data)
        return Response(_program_out(request, program.pk), status=status.HTTP_201_CREATED)


class ProgramDetailApi(APIView):
    @extend_schema(responses=ProgramOutput, summary="保护工程详情")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_program_out(request, pk))

    @extend_schema(
        request=ProgramPatchInput,
        responses=ProgramOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="修改保护工程（名称、总预算、报送日历）；总预算不能低于已分配",
    )
    @idempotent
    def patch(self, request: Request, pk: int) -> Response:
        program = selectors.program_get_for_user(user=request.user, pk=pk)
        _require(can_manage_programs(request.user), "只有省级管理员可以修改保护工程。")
        data = _valid(ProgramPatchInput, request)
        services.program_update(actor=request_user(request), program=program, data=data)
        return Response(_program_out(request, pk))


class ProgramTransitionInput(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=ProgramStatus.choices)


class ProgramTransitionApi(APIView):
    @extend_schema(
        request=ProgramTransitionInput,
        responses=ProgramOutput,
        parameters=[IDEMPOTENCY_HEADER],
        summary="变更保护工程状态（草稿→申报中→评审中→实施中→已结束）；不允许的变更返回 409",
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        program = selectors.program_get_for_user(user=request.user, pk=pk)
        _require(can_manage_programs(request.user), "只有省级管理员可以变更保护工程状态。")
        data = _valid(ProgramTransitionInput, request)
        services.program_transition(
            actor=request_user(request), program=program, status=data["status"]
        )
        return Response(_program_out(request, pk))


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
