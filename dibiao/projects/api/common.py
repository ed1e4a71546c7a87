"""Shared pieces of the protection program's API: output serializers, scoped id fields, the
Idempotency-Key parameter and small helpers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dibiao.accounts.models import Organization, User
from dibiao.core.api import ScopedRelatedField, int_query_param, validated
from dibiao.core.errors import ForbiddenError
from dibiao.projects import selectors
from dibiao.projects.models import (
    Allocation,
    Contract,
    Deliverable,
    FundEntry,
    Program,
    ProgramTarget,
)
from dibiao.registry.models import GIProduct

# The shared API helpers (dibiao.core.api) under the names this package uses.
_ScopedField = ScopedRelatedField
_valid = validated
_int_param = int_query_param


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
    # Province-wide totals for the province; below it, the caller's own part only (so a county
    # cannot work out what the others received) and no "unallocated".
    allocated_total = serializers.SerializerMethodField()
    unallocated = serializers.SerializerMethodField()
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

    def _whole(self, obj: Program) -> bool:
        return selectors.program_sees_whole(user=self.context["request"].user, program=obj)

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_allocated_total(self, obj: Program) -> str:
        if self._whole(obj):
            return f"{obj.allocated_total:.2f}"
        visible = getattr(obj, "visible_allocations", ())  # prefetched by the selector
        return f"{sum((a.amount for a in visible), Decimal('0.00')):.2f}"

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True))
    def get_unallocated(self, obj: Program) -> str | None:
        return f"{obj.unallocated:.2f}" if self._whole(obj) else None

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
