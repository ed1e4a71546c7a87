"""Reads of the protection program, scoped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership, User
from dibiao.accounts.scoping import scope_for
from dibiao.core.choices import DivisionLevel
from dibiao.core.errors import NotFoundError
from dibiao.core.models import Division
from dibiao.projects.choices import EntryKind, EntryStatus, ImplementationArea
from dibiao.projects.models import Allocation, Contract, FundEntry, Program
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

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


def program_sees_whole(*, user: Any, program: Program) -> bool:
    """Whether the user sees the whole program (the province) rather than its own part:
    province-wide totals would otherwise let a county work out what others received."""
    return program.province_id in scope_for(user).division_ids


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
    rows = _spending_rows(FundEntry.objects.filter(allocation=allocation), field)
    return [{"group": group, "spent": spent} for group, spent in rows]


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


def program_list_with_allocations(*, user: Any, year: int | None = None) -> QuerySet[Program]:
    """Programs with their targets and, in `visible_allocations`, the allocations the user may
    see (a county user sees the program but only its own county's allocations)."""
    return program_list_for_user(user=user, year=year).prefetch_related(
        "targets",
        Prefetch(
            "allocations",
            queryset=allocation_list_for_user(user=user),
            to_attr="visible_allocations",
        ),
    )


def program_get_with_allocations(*, user: Any, pk: int) -> Program:
    program = program_list_with_allocations(user=user).filter(pk=pk).first()
    if program is None:
        raise NotFoundError("未找到该保护工程。")
    return program


def program_provinces_for_user(*, user: Any) -> QuerySet[Division]:
    """The provinces in which the user may create a program."""
    return Division.objects.filter(
        pk__in=scope_for(user).division_ids, level=DivisionLevel.PROVINCE
    ).order_by("code")


def program_allocation_rows(*, user: Any, program: Program) -> QuerySet[Allocation]:
    """The program's allocations in scope, each with its count of entries awaiting review."""
    return allocation_list_for_user(user=user, program=program).annotate(
        pending_count=Count("entries", filter=Q(entries__status=EntryStatus.PENDING))
    )


def program_product_choices(*, user: Any, program: Program) -> QuerySet[GIProduct]:
    """Registered products in the user's scope that have no allocation in the program yet."""
    return (
        GIProduct.objects.restrict(user)
        .filter(status=ProductStatus.REGISTERED)
        .exclude(pk__in=Allocation.objects.filter(program=program).values("product_id"))
        .order_by("name", "id")
    )


def allocation_responsible_choices(*, allocation: Allocation) -> QuerySet[User]:
    """Who may be named the allocation's responsible person: active staff of an agricultural
    bureau at the allocation's division (the rule `allocation_set_responsible` enforces)."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(
            role__in=[Role.COUNTY_ADMIN, Role.CITY_ADMIN],
            organization__is_active=True,
            organization__division_id=allocation.division_id,
        ).values("user_id"),
    ).order_by("full_name", "username")


def program_entry_list_for_user(*, user: Any, program: Program) -> QuerySet[FundEntry]:
    """The program's ledger in scope, allocation by allocation, each in date order."""
    return (
        entry_list_for_user(user=user)
        .filter(allocation__program=program)
        .select_related("allocation__division", "allocation__program")
        .order_by("allocation__product__name", "allocation_id", "paid_on", "id")
    )


@dataclass(frozen=True)
class LedgerRow:
    entry: FundEntry
    outflow: Decimal  # funds this entry holds: a payment pending review or approved
    inflow: Decimal  # funds this entry gave back: an approved reversal
    balance: Decimal  # the allocation's balance after this entry


def entry_balance_effect(entry: FundEntry) -> tuple[Decimal, Decimal]:
    """(outflow, inflow) of an entry as the totals count it: a payment holds its funds from
    recording until rejected; a reversal gives them back once approved."""
    if entry.kind == EntryKind.PAYMENT:
        return (ZERO if entry.status == EntryStatus.REJECTED else entry.amount), ZERO
    return ZERO, (entry.amount if entry.status == EntryStatus.APPROVED else ZERO)


def ledger_rows(entries: Iterable[FundEntry]) -> Iterator[LedgerRow]:
    """Entries with the running balance of their allocation, starting from its amount. The
    entries must come allocation by allocation; the last balance of each equals
    `Allocation.balance`."""
    allocation_id: int | None = None
    balance = ZERO
    for entry in entries:
        if entry.allocation_id != allocation_id:
            allocation_id = entry.allocation_id
            balance = entry.allocation.amount
        outflow, inflow = entry_balance_effect(entry)
        balance = balance - outflow + inflow
        yield LedgerRow(entry=entry, outflow=outflow, inflow=inflow, balance=balance)


def _spending_rows(qs: QuerySet[FundEntry], field: str) -> list[tuple[Any, Decimal]]:
    key = TruncMonth("paid_on") if field == "month" else F("area")
    rows = (
        _spent(qs)
        .annotate(group=key)
        .values("group")
        .annotate(
            paid=Sum("amount", filter=Q(kind=EntryKind.PAYMENT), default=ZERO),
            reversed=Sum("amount", filter=Q(kind=EntryKind.REVERSAL), default=ZERO),
        )
        .order_by("group")
    )
    return [(r["group"], r["paid"] - r["reversed"]) for r in rows]


@dataclass(frozen=True)
class SpendingRow:
    key: str  # the area code, or the month as YYYY-MM
    label: str
    spent: Decimal  # approved payments less approved reversals
    share: Decimal  # of the allocated amount, in per cent
    cumulative: Decimal  # spent up to and including this row
    cumulative_rate: Decimal  # of the allocated amount, in per cent


def _rate(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.1")) if whole else ZERO


def _spending_table(
    groups: list[tuple[Any, Decimal]], field: str, allocated: Decimal
) -> list[SpendingRow]:
    rows: list[SpendingRow] = []
    cumulative = ZERO
    for group, spent in groups:
        if field == "month":
            key = f"{group:%Y-%m}"
            label = f"{group.year}年{group.month}月"
        else:
            key = str(group)
            label = (
                str(ImplementationArea(group).label) if group in ImplementationArea.values else key
            )
        cumulative += spent
        rows.append(
            SpendingRow(
                key=key,
                label=label,
                spent=spent,
                share=_rate(spent, allocated),
                cumulative=cumulative,
                cumulative_rate=_rate(cumulative, allocated),
            )
        )
    return rows


def allocation_spending_table(*, allocation: Allocation, field: str) -> list[SpendingRow]:
    """Approved spending of an allocation by `area` or `month`, with its share of the amount."""
    groups = _spending_rows(FundEntry.objects.filter(allocation=allocation), field)
    return _spending_table(groups, field, allocation.amount)


def program_spending_table(*, user: Any, program: Program, field: str) -> list[SpendingRow]:
    """Approved spending of the program's allocations in scope, by `area` or `month`."""
    qs = FundEntry.objects.restrict(user).filter(allocation__program=program)
    allocated = program_execution(user=user, program=program)["allocated"]
    return _spending_table(_spending_rows(qs, field), field, allocated)
