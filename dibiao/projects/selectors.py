"""Reads of the protection program, scoped."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from dibiao.accounts.scoping import scope_for
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.projects.choices import EntryKind, EntryStatus
from dibiao.projects.models import Allocation, Contract, FundEntry, Program

ZERO = Decimal("0.00")


def program_list_for_user(*, user: Any, year: int | None = None) -> QuerySet[Program]:
    """Programs of the provinces the user works in: a program is the province's, and every
    government user below it takes part in it (its own allocations stay scoped)."""
    ids = scope_for(user).division_ids
    provinces = Division.objects.filter(
        Q(pk__in=ids) | Q(children__in=ids) | Q(children__children__in=ids)
    )
    qs = Program.objects.filter(province__in=provinces.values("pk")).select_related("province")
    if year:
        qs = qs.filter(year=year)
    return qs.annotate(allocation_count=Count("allocations")).order_by("-year", "id")


def program_get_for_user(*, user: Any, pk: int) -> Program:
    program = program_list_for_user(user=user).filter(pk=pk).first()
    if program is None:
        raise NotFoundError("未找到该保护工程。")
    return program


def allocation_list_for_user(
    *, user: Any, program: Program | None = None, q: str = ""
) -> QuerySet[Allocation]:
    qs = Allocation.objects.restrict(user).select_related(
        "program", "product", "division", "responsible"
    )
    if program is not None:
        qs = qs.filter(program=program)
    if q:
        qs = qs.filter(product__name__icontains=q)
    return qs.order_by("program", "product__name", "id")


def allocation_get_for_user(*, user: Any, pk: int) -> Allocation:
    allocation = allocation_list_for_user(user=user).filter(pk=pk).first()
    if allocation is None:
        raise NotFoundError("未找到该资金分配。")
    return allocation


def contract_list_for_user(
    *, user: Any, allocation: Allocation | None = None, status: str = "", q: str = ""
) -> QuerySet[Contract]:
    qs = Contract.objects.restrict(user).select_related("allocation__product", "party_a", "party_b")
    if allocation is not None:
        qs = qs.filter(allocation=allocation)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(number__icontains=q) | Q(title__icontains=q) | Q(party_b__name__icontains=q)
        )
    return qs.prefetch_related("deliverables").order_by("allocation", "signed_on", "id")


def contract_get_for_user(*, user: Any, pk: int) -> Contract:
    contract = contract_list_for_user(user=user).filter(pk=pk).first()
    if contract is None:
        raise NotFoundError("未找到该合同。")
    return contract


def entry_list_for_user(
    *,
    user: Any,
    allocation: Allocation | None = None,
    contract: Contract | None = None,
    status: str = "",
) -> QuerySet[FundEntry]:
    qs = FundEntry.objects.restrict(user).select_related(
        "allocation__product", "contract", "recorded_by", "reviewed_by", "reverses"
    )
    if allocation is not None:
        qs = qs.filter(allocation=allocation)
    if contract is not None:
        qs = qs.filter(contract=contract)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("paid_on", "id")


def entry_get_for_user(*, user: Any, pk: int) -> FundEntry:
    entry = entry_list_for_user(user=user).filter(pk=pk).first()
    if entry is None:
        raise NotFoundError("未找到该台账分录。")
    return entry


def _spent(qs: QuerySet[FundEntry]) -> QuerySet[FundEntry]:
    """Net approved spending: approved payments minus approved reversals."""
    return qs.filter(status=EntryStatus.APPROVED)


def allocation_spending_by(*, allocation: Allocation, field: str) -> list[dict[str, Any]]:
    """Approved spending of an allocation grouped by `area` or by `month`."""
    qs = _spent(FundEntry.objects.filter(allocation=allocation))
    key = TruncMonth("paid_on") if field == "month" else "area"
    rows = (
        qs.annotate(group=key)
        .values("group")
        .annotate(
            paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=ZERO),
            reversed=Sum("amount", filter=Q(kind=EntryKind.REVERSAL), default=ZERO),
        )
        .order_by("group")
    )
    return [{"group": r["group"], "spent": r["paid"] - r["reversed"]} for r in rows]


def program_execution(*, user: Any, program: Program) -> dict[str, Decimal]:
    """The program's totals within the user's scope: allocated, contracted, committed (pending
    and approved payments), and the execution rate."""
    totals = allocation_list_for_user(user=user, program=program).aggregate(
        allocated=Sum("amount", default=ZERO),
        contracted=Sum("contracted_total", default=ZERO),
        committed=Sum("committed_total", default=ZERO),
    )
    allocated = totals["allocated"]
    rate = (totals["committed"] / allocated * 100).quantize(Decimal("0.1")) if allocated else ZERO
    return {**totals, "rate": rate}


# --- Reads for the pages and the API ---------------------------------------------------------
