"""Writes of the protection program: programs, allocations, contracts and the fund ledger.

Locking order, everywhere: program → allocation → contract → entry. Every service that changes
a total locks the rows whose totals it changes in that order, so two services never wait on
each other in opposite orders (no deadlocks), and checks the limit on the locked values. The
CHECK constraints on the totals (models.py) are the last line if a check is ever wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership, Organization, User
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.ledger import services as ledger
from dibiao.projects.choices import ContractStatus, EntryKind, EntryStatus, ProgramStatus
from dibiao.projects.errors import ProjectsError
from dibiao.projects.models import (
    Allocation,
    Contract,
    Deliverable,
    FundEntry,
    Program,
    ProgramTarget,
)
from dibiao.projects.permissions import (
    LEDGER_KEEPER_ROLES,
    can_keep_ledger,
    can_manage_programs,
    can_review_entries,
)
from dibiao.projects.targets import PLAN_TARGETS
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

CENT = Decimal("0.01")


def _money(value: Decimal | str | int, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
        exact = amount.is_finite() and amount == amount.quantize(CENT)
    except ArithmeticError as exc:
        raise ProjectsError("invalid_amount", f"{field}不是有效的金额。") from exc
    if not exact:
        raise ProjectsError("invalid_amount", f"{field}应为有限的金额，最多保留两位小数（元）。")
    if amount <= 0:
        raise ProjectsError("invalid_amount", f"{field}必须大于零。")
    if amount >= Decimal("1e12"):  # the columns hold 14 digits, 2 after the point
        raise ProjectsError("invalid_amount", f"{field}超出可记录的范围。")
    return amount.quantize(CENT)


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f} 元"


def _clean(obj: Any, code: str) -> None:
    """Model validation as one coded error whose message names each field."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        parts: list[str] = []
        for name, errors in exc.message_dict.items():
            label = (
                ""
                if name == "__all__"
                else str(getattr(obj._meta.get_field(name), "verbose_name", name))
            )
            parts.extend(f"{label}：{error}" if label else error for error in errors)
        raise ProjectsError(code, "；".join(parts)) from exc


def _require(check: bool, message: str) -> None:
    if not check:
        raise ForbiddenError(message)


def _in_scope(actor: User | None, division_id: int) -> bool:
    return actor is None or division_id in scope_for(actor).division_ids


# --- Programs ------------------------------------------------------------------------------


@transaction.atomic
def program_create(
    *,
    actor: User | None,
    province: Division,
    year: int,
    name: str,
    total_budget: Decimal | str,
    annual_summary_deadline: dt.date,
    monthly_dispatch_day: int = 5,
) -> Program:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以创建保护工程。")
    if province.level != DivisionLevel.PROVINCE or not _in_scope(actor, province.pk):
        raise ProjectsError("invalid_province", "请选择您所在的省份。")
    program = Program(
        province=province,
        year=year,
        name=name.strip(),
        created_by=actor,
        total_budget=_money(total_budget, "总预算"),
        annual_summary_deadline=annual_summary_deadline,
        monthly_dispatch_day=monthly_dispatch_day,
    )
    _clean(program, "invalid_program")
    program.save()
    ProgramTarget.objects.bulk_create(
        ProgramTarget(
            program=program,
            code=t.code,
            name=t.name,
            area=t.area,
            value=t.value,
            unit=t.unit,
            period=t.period,
        )
        for t in PLAN_TARGETS
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=program,
        changes={"after": model_snapshot(program)},
    )
    return program


_PROGRAM_TRANSITIONS = {
    ProgramStatus.DRAFT: {ProgramStatus.OPEN},
    ProgramStatus.OPEN: {ProgramStatus.REVIEWING},
    ProgramStatus.REVIEWING: {ProgramStatus.OPEN, ProgramStatus.IMPLEMENTING},
    ProgramStatus.IMPLEMENTING: {ProgramStatus.CLOSED},
    ProgramStatus.CLOSED: set(),
}


def program_next_statuses(program: Program) -> list[ProgramStatus]:
    allowed = _PROGRAM_TRANSITIONS[ProgramStatus(program.status)]
    return [status for status in ProgramStatus if status in allowed]


def _lock_program(actor: User | None, program: Program) -> Program:
    program = Program.objects.select_for_update().get(pk=program.pk)
    if not _in_scope(actor, program.province_id):
        raise NotFoundError("未找到该保护工程。")
    return program


@transaction.atomic
def program_transition(*, actor: User | None, program: Program, status: str) -> Program:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以变更保护工程状态。")
    program = _lock_program(actor, program)
    if status not in {s.value for s in program_next_statuses(program)}:
        current = ProgramStatus(program.status).label
        target = ProgramStatus(status).label if status in ProgramStatus.values else status
        raise ProjectsError(
            "invalid_transition", f"保护工程当前为“{current}”，不能改为“{target}”。", status=409
        )
    before = program.status
    program.status = status
    program.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=program,
        changes={"before": {"status": before}, "after": {"status": status}},
    )
    return program


@transaction.atomic
def program_update(*, actor: User | None, program: Program, data: dict[str, Any]) -> Program:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以修改保护工程。")
    program = _lock_program(actor, program)
    before = model_snapshot(program)
    for name in ("name", "monthly_dispatch_day", "annual_summary_deadline"):
        if name in data:
            setattr(program, name, data[name])
    if "total_budget" in data:
        budget = _money(data["total_budget"], "总预算")
        if budget < program.allocated_total:
            raise ProjectsError(
                "budget_below_allocated",
                f"总预算不能低于已分配的 {_yuan(program.allocated_total)}。",
            )
        program.total_budget = budget
    _clean(program, "invalid_program")
    program.save()
    changes = snapshot_diff(before, model_snapshot(program))
    if changes["after"]:
        audit_record(actor=actor, action=AuditAction.UPDATE, obj=program, changes=changes)
    return program


# --- Allocations ---------------------------------------------------------------------------


def implementing_division(product: GIProduct) -> Division:
    """Where a product's funds are implemented: its county, or its city when it spans counties
    (or only the city is known), else the first division it has."""
    divisions = list(product.divisions.all())
    if not divisions:
        raise ProjectsError("product_without_division", f"产品“{product.name}”尚无所在行政区划。")
    for level in (DivisionLevel.COUNTY, DivisionLevel.CITY):
        matching = [d for d in divisions if d.level == level]
        if len(matching) == 1:
            return matching[0]
        if len(matching) > 1 and level == DivisionLevel.COUNTY:
            parents = {d.parent_id for d in matching}
            if len(parents) == 1 and matching[0].parent is not None:
                return matching[0].parent
    return divisions[0]


@transaction.atomic
def allocation_create(
    *,
    actor: User | None,
    program: Program,
    product: GIProduct,
    amount: Decimal | str,
    division: Division | None = None,
) -> Allocation:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以分配资金。")
    amount = _money(amount, "补助资金")
    program = _lock_program(actor, program)
    if program.status == ProgramStatus.CLOSED:
        raise ProjectsError("program_closed", "保护工程已结束，不能再分配资金。", status=409)
    if product.status != ProductStatus.REGISTERED:
        raise ProjectsError(
            "product_cancelled", f"“{product.name}”已注销，不能分配资金。", status=409
        )
    division = division or implementing_division(product)
    if not _in_scope(actor, division.pk):
        raise ProjectsError("division_out_of_scope", "实施地区不在您的管辖范围内。")
    if Allocation.objects.filter(program=program, product=product).exists():
        raise ProjectsError(
            "allocation_exists", f"“{product.name}”在本工程中已有资金分配。", status=409
        )
    if program.allocated_total + amount > program.total_budget:
        raise ProjectsError(
            "over_budget",
            f"分配后合计 {_yuan(program.allocated_total + amount)}，超过总预算 {_yuan(program.total_budget)}"
            f"（尚可分配 {_yuan(program.unallocated)}）。",
        )
    allocation = Allocation.objects.create(
        program=program, product=product, division=division, amount=amount
    )
    ledger.append(allocation)
    Program.objects.filter(pk=program.pk).update(allocated_total=F("allocated_total") + amount)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=allocation,
        changes={"after": model_snapshot(allocation)},
    )
    return allocation


# Contracts and payments belong to a program that has selected its products and is not closed.
_SPENDING_STATUSES = frozenset({ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING})


def _require_keeper(actor: User | None, allocation: Allocation) -> None:
    if actor is not None and not can_keep_ledger(actor, allocation):
        raise ForbiddenError("只有该资金分配的实施主体（实施地区的农业农村部门）可以办理。")


def _require_running(allocation: Allocation) -> None:
    if allocation.program.status not in _SPENDING_STATUSES:
        raise ProjectsError(
            "program_not_running",
            f"保护工程当前为“{allocation.program.get_status_display()}”，不能登记合同或支出。",
            status=409,
        )


def _lock_allocation(actor: User | None, allocation: Allocation) -> Allocation:
    allocation = (
        Allocation.objects.select_for_update()
        .select_related("program", "product")
        .get(pk=allocation.pk)
    )
    if not _in_scope(actor, allocation.division_id):
        raise NotFoundError("未找到该资金分配。")
    return allocation


@transaction.atomic
def allocation_change_amount(
    *, actor: User | None, allocation: Allocation, amount: Decimal | str
) -> Allocation:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以调整资金分配。")
    amount = _money(amount, "补助资金")
    program = _lock_program(actor, allocation.program)
    allocation = _lock_allocation(actor, allocation)
    floor = max(allocation.contracted_total, allocation.committed_total)
    if amount < floor:
        raise ProjectsError(
            "amount_below_used", f"补助资金不能低于已签合同或已支出的 {_yuan(floor)}。"
        )
    difference = amount - allocation.amount
    if program.allocated_total + difference > program.total_budget:
        raise ProjectsError(
            "over_budget",
            f"调整后合计超过总预算 {_yuan(program.total_budget)}（尚可分配 {_yuan(program.unallocated)}）。",
        )
    before = allocation.amount
    Allocation.objects.filter(pk=allocation.pk).update(amount=amount)
    Program.objects.filter(pk=program.pk).update(allocated_total=F("allocated_total") + difference)
    allocation.refresh_from_db()
    ledger.append(allocation)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=allocation,
        changes={"before": {"amount": str(before)}, "after": {"amount": str(amount)}},
    )
    return allocation


@transaction.atomic
def allocation_set_responsible(
    *, actor: User | None, allocation: Allocation, responsible: User
) -> Allocation:
    """专人管理: the named person answerable for the allocation's dedicated account."""
    if actor is not None:
        _require(can_keep_ledger(actor) or can_manage_programs(actor), "没有指定资金专管员的权限。")
    allocation = _lock_allocation(actor, allocation)
    if actor is not None and not (can_manage_programs(actor) or can_keep_ledger(actor, allocation)):
        raise ForbiddenError("只有实施主体或省级管理员可以指定资金专管员。")
    holds_role_here = Membership.objects.filter(
        user=responsible,
        role__in=[Role.COUNTY_ADMIN, Role.CITY_ADMIN, Role.PROVINCE_ADMIN],
        organization__is_active=True,
        organization__division=allocation.division,
    ).exists()
    if not responsible.is_active or not holds_role_here:
        raise ProjectsError("invalid_responsible", "资金专管员应为实施地区农业农村部门的在职人员。")
    before = allocation.responsible_id
    allocation.responsible = responsible
    allocation.save(update_fields=["responsible"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=allocation,
        changes={"before": {"responsible": before}, "after": {"responsible": responsible.pk}},
    )
    return allocation


@transaction.atomic
def allocation_record_disbursement(
    *, actor: User | None, allocation: Allocation, disbursed_on: dt.date
) -> Allocation:
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以登记资金下达。")
    allocation = _lock_allocation(actor, allocation)
    if disbursed_on > timezone.localdate():
        raise ProjectsError("date_in_future", "资金下达日期不能晚于今天。")
    before = allocation.disbursed_on
    allocation.disbursed_on = disbursed_on
    allocation.save(update_fields=["disbursed_on"])
    ledger.append(allocation)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=allocation,
        changes={
            "before": {"disbursed_on": str(before or "")},
            "after": {"disbursed_on": str(disbursed_on)},
        },
    )
    return allocation


# --- Contracts -----------------------------------------------------------------------------


def _party_a(actor: User | None, allocation: Allocation) -> Organization:
    """The implementing body: the keeper's bureau (or department) at the allocation's division."""
    memberships = Membership.objects.filter(
        role=LEDGER_KEEPER_ROLES.get(allocation.division.level, Role.COUNTY_ADMIN),
        organization__division=allocation.division,
        organization__is_active=True,
    ).select_related("organization")
    if actor is not None:
        memberships = memberships.filter(user=actor)
    membership = memberships.first()
    if membership is None:
        raise ProjectsError(
            "no_implementing_bureau", "未找到实施地区的农业农村部门，无法作为合同甲方。"
        )
    return membership.organization


@transaction.atomic
def contract_create(
    *,
    actor: User | None,
    allocation: Allocation,
    number: str,
    title: str,
    party_b: Organization,
    amount: Decimal | str,
    area: str,
    start_date: dt.date,
    end_date: dt.date,
    signed_on: dt.date,
    deliverables: Iterable[tuple[str, dt.date]] = (),
) -> Contract:
    if actor is not None:
        _require(can_keep_ledger(actor), "只有实施主体可以登记合同。")
    amount = _money(amount, "合同金额")
    allocation = _lock_allocation(actor, allocation)
    _require_keeper(actor, allocation)
    _require_running(allocation)
    if (
        actor is not None
        and not Organization.objects.restrict(actor).filter(pk=party_b.pk).exists()
    ):
        raise ProjectsError("party_out_of_scope", "承担单位不在您的管辖范围内。")
    if allocation.contracted_total + amount > allocation.amount:
        raise ProjectsError(
            "over_allocation",
            f"合同合计 {_yuan(allocation.contracted_total + amount)} 将超过资金分配 {_yuan(allocation.amount)}"
            f"（尚可签约 {_yuan(allocation.amount - allocation.contracted_total)}）。",
        )
    contract = Contract(
        allocation=allocation,
        number=number.strip(),
        title=title.strip(),
        party_a=_party_a(actor, allocation),
        party_b=party_b,
        amount=amount,
        area=area,
        start_date=start_date,
        end_date=end_date,
        signed_on=signed_on,
        created_by=actor,
    )
    _clean(contract, "invalid_contract")
    contract.save()
    items = [
        Deliverable(contract=contract, description=d.strip(), due_date=due)
        for d, due in deliverables
        if d.strip()
    ]
    Deliverable.objects.bulk_create(items)
    Allocation.objects.filter(pk=allocation.pk).update(
        contracted_total=F("contracted_total") + amount
    )
    ledger.append(contract)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=contract,
        changes={
            "after": {
                **model_snapshot(contract),
                "deliverables": [(i.description, str(i.due_date)) for i in items],
            }
        },
    )
    return contract


_CONTRACT_TRANSITIONS = {
    ContractStatus.ACTIVE: {ContractStatus.COMPLETED, ContractStatus.TERMINATED},
    ContractStatus.COMPLETED: set(),
    ContractStatus.TERMINATED: set(),
}


@transaction.atomic
def contract_set_status(
    *, actor: User | None, contract: Contract, status: str, reason: str
) -> Contract:
    if actor is not None:
        _require(can_keep_ledger(actor), "只有实施主体可以变更合同状态。")
    allocation = _lock_allocation(actor, contract.allocation)
    _require_keeper(actor, allocation)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if status not in _CONTRACT_TRANSITIONS[ContractStatus(contract.status)]:
        raise ProjectsError(
            "invalid_transition",
            f"合同当前为“{contract.get_status_display()}”，不能变更。",
            status=409,
        )
    if not reason.strip():
        raise ProjectsError("reason_required", "请填写原因。")
    if FundEntry.objects.filter(contract=contract, status=EntryStatus.PENDING).exists():
        # Ending a contract settles its amount at what it spent; a payment still under review
        # would leave that figure open. Review it first.
        raise ProjectsError(
            "pending_entries", "该合同还有待审核的支出，请先审核后再结束合同。", status=409
        )
    # An ended contract keeps exactly what it spent; the rest returns to the allocation.
    released = contract.amount - contract.committed_total
    Allocation.objects.filter(pk=allocation.pk).update(
        contracted_total=F("contracted_total") - released
    )
    before = contract.status
    # One UPDATE: the CHECK on the amount reads the new status.
    Contract.objects.filter(pk=contract.pk).update(amount=contract.committed_total, status=status)
    contract.refresh_from_db()
    ledger.append(contract)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=contract,
        detail=reason.strip(),
        changes={"before": {"status": before}, "after": {"status": status}},
    )
    return contract


# --- Fund ledger ---------------------------------------------------------------------------


@transaction.atomic
def entry_record(
    *,
    actor: User,
    allocation: Allocation,
    contract: Contract | None,
    voucher_number: str,
    paid_on: dt.date,
    payee: str,
    amount: Decimal | str,
    area: str,
    description: str = "",
) -> FundEntry:
    """Record a payment. It commits the funds at once (pending review), so that concurrent
    payments can never together exceed the contract or the allocation."""
    _require(can_keep_ledger(actor), "只有实施主体可以记录支出。")
    amount = _money(amount, "支出金额")
    allocation = _lock_allocation(actor, allocation)
    _require_keeper(actor, allocation)
    _require_running(allocation)
    if paid_on > timezone.localdate():
        raise ProjectsError("date_in_future", "支付日期不能晚于今天。")
    if contract is not None:
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.allocation_id != allocation.pk:
            raise ProjectsError("contract_mismatch", "该合同不属于此项资金分配。")
        if contract.status != ContractStatus.ACTIVE:
            raise ProjectsError("contract_not_active", "合同已完成或终止，不能再支出。", status=409)
        if contract.committed_total + amount > contract.amount:
            raise ProjectsError(
                "over_contract",
                f"支出后合计 {_yuan(contract.committed_total + amount)} 将超过合同金额 {_yuan(contract.amount)}"
                f"（合同余额 {_yuan(contract.balance)}）。",
            )
    if allocation.committed_total + amount > allocation.amount:
        raise ProjectsError(
            "over_allocation",
            f"支出后合计 {_yuan(allocation.committed_total + amount)} 将超过资金分配 {_yuan(allocation.amount)}"
            f"（余额 {_yuan(allocation.balance)}）。",
        )
    entry = FundEntry(
        allocation=allocation,
        contract=contract,
        kind=EntryKind.PAYMENT,
        voucher_number=voucher_number.strip(),
        paid_on=paid_on,
        payee=payee.strip(),
        amount=amount,
        area=area,
        description=description.strip(),
        recorded_by=actor,
    )
    _clean(entry, "invalid_entry")
    entry.save()
    _commit(allocation, contract, amount)
    ledger.append(entry)
    audit_record(
        actor=actor, action=AuditAction.CREATE, obj=entry, changes={"after": model_snapshot(entry)}
    )
    return entry


def _commit(allocation: Allocation, contract: Contract | None, amount: Decimal) -> None:
    Allocation.objects.filter(pk=allocation.pk).update(
        committed_total=F("committed_total") + amount
    )
    if contract is not None:
        Contract.objects.filter(pk=contract.pk).update(
            committed_total=F("committed_total") + amount
        )


def _lock_entry(actor: User | None, entry: FundEntry) -> tuple[Allocation, FundEntry]:
    allocation = _lock_allocation(actor, entry.allocation)
    if entry.contract_id is not None:
        Contract.objects.select_for_update().filter(pk=entry.contract_id).get()
    return allocation, FundEntry.objects.select_for_update().get(pk=entry.pk)


@transaction.atomic
def entry_review(*, actor: User, entry: FundEntry, approve: bool, note: str = "") -> FundEntry:
    """Four eyes: a different user approves or rejects. Rejecting a payment releases its funds;
    approving a reversal releases the funds of the payment it cancels."""
    _require(can_review_entries(actor), "没有审核资金台账的权限。")
    allocation, entry = _lock_entry(actor, entry)
    if entry.status != EntryStatus.PENDING:
        raise ProjectsError(
            "already_reviewed", f"该分录已{entry.get_status_display()}。", status=409
        )
    if entry.recorded_by_id == actor.pk:
        raise ProjectsError(
            "four_eyes", "记账人不能审核自己记录的分录，请由另一位工作人员审核。", status=403
        )
    if not approve and not note.strip():
        raise ProjectsError("note_required", "退回时请填写审核意见。")
    release = (entry.kind == EntryKind.PAYMENT and not approve) or (
        entry.kind == EntryKind.REVERSAL and approve
    )
    if release:
        contract = entry.contract
        _commit(allocation, contract, -entry.amount)
        if contract is not None and contract.status != ContractStatus.ACTIVE:
            # An ended contract's amount is what it spent: undoing spending lowers both, and the
            # freed amount returns to the allocation for new contracts.
            Contract.objects.filter(pk=contract.pk).update(amount=F("amount") - entry.amount)
            Allocation.objects.filter(pk=allocation.pk).update(
                contracted_total=F("contracted_total") - entry.amount
            )
            ledger.append(contract)
    FundEntry.objects.filter(pk=entry.pk).update(
        status=EntryStatus.APPROVED if approve else EntryStatus.REJECTED,
        reviewed_by=actor,
        reviewed_at=timezone.now(),
        review_note=note.strip(),
    )
    entry.refresh_from_db()
    ledger.append(entry)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=entry,
        detail=note.strip(),
        changes={"before": {"status": EntryStatus.PENDING}, "after": {"status": entry.status}},
    )
    return entry


@transaction.atomic
def entry_reverse(*, actor: User, entry: FundEntry, reason: str) -> FundEntry:
    """A correction: a reversal entry cancelling an approved payment, itself to be approved."""
    _require(can_keep_ledger(actor), "只有实施主体可以冲销支出。")
    allocation, entry = _lock_entry(actor, entry)
    _require_keeper(actor, allocation)
    if entry.kind != EntryKind.PAYMENT or entry.status != EntryStatus.APPROVED:
        raise ProjectsError("not_reversible", "只能冲销已审核的支出分录。", status=409)
    if FundEntry.objects.filter(reverses=entry).exclude(status=EntryStatus.REJECTED).exists():
        raise ProjectsError("already_reversed", "该分录已有冲销分录。", status=409)
    if not reason.strip():
        raise ProjectsError("reason_required", "请填写冲销原因。")
    reversal = FundEntry.objects.create(
        allocation=allocation,
        contract=entry.contract,
        kind=EntryKind.REVERSAL,
        reverses=entry,
        voucher_number=f"{entry.voucher_number}-冲",
        paid_on=timezone.localdate(),
        payee=entry.payee,
        amount=entry.amount,
        area=entry.area,
        description=reason.strip(),
        recorded_by=actor,
    )
    ledger.append(reversal)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=reversal,
        changes={"after": model_snapshot(reversal)},
    )
    return reversal


# --- Deliverables and targets --------------------------------------------------------------


@transaction.atomic
def deliverable_add(
    *, actor: User | None, contract: Contract, description: str, due_date: dt.date
) -> Deliverable:
    if actor is not None:
        _require(can_keep_ledger(actor), "只有实施主体可以维护合同交付物。")
    _require_keeper(actor, _lock_allocation(actor, contract.allocation))
    if not description.strip():
        raise ProjectsError("description_required", "请填写交付内容。")
    if not contract.start_date <= due_date <= contract.end_date:
        raise ProjectsError("due_outside_period", "交付物到期日应在合同期内。")
    deliverable = Deliverable.objects.create(
        contract=contract, description=description.strip(), due_date=due_date
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=deliverable,
        changes={"after": model_snapshot(deliverable)},
    )
    return deliverable


@transaction.atomic
def deliverable_mark_delivered(
    *, actor: User | None, deliverable: Deliverable, delivered_on: dt.date
) -> Deliverable:
    if actor is not None:
        _require(can_keep_ledger(actor), "只有实施主体可以确认交付。")
    _require_keeper(actor, _lock_allocation(actor, deliverable.contract.allocation))
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.delivered_on is not None:
        raise ProjectsError("already_delivered", "该交付物已确认完成。", status=409)
    if delivered_on > timezone.localdate():
        raise ProjectsError("date_in_future", "完成日期不能晚于今天。")
    deliverable.delivered_on = delivered_on
    deliverable.save(update_fields=["delivered_on"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=deliverable,
        changes={"before": {"delivered_on": None}, "after": {"delivered_on": str(delivered_on)}},
    )
    return deliverable


@transaction.atomic
def program_target_update(
    *, actor: User | None, target: ProgramTarget, value: Decimal | str
) -> ProgramTarget:
    """A program may raise or lower one of its targets (the plan's values are its template)."""
    if actor is not None:
        _require(can_manage_programs(actor), "只有省级管理员可以调整工程指标。")
    _lock_program(actor, target.program)
    try:
        new_value = Decimal(str(value))
        exact = new_value.is_finite() and new_value == new_value.quantize(CENT)
    except ArithmeticError as exc:
        raise ProjectsError("invalid_value", "目标值不是有效的数字。") from exc
    if not exact or new_value < 0 or new_value >= Decimal("1e8"):
        raise ProjectsError("invalid_value", "目标值应为 0 至 1 亿之间、最多两位小数的数。")
    before = target.value
    target.value = new_value
    target.save(update_fields=["value"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=target,
        changes={"before": {"value": str(before)}, "after": {"value": str(new_value)}},
    )
    return target
