"""Pages of the protection program: programs, allocations, contracts and the fund ledger.

Each view parses, checks the right, calls one service or selector and renders. Objects come
through the selectors, so another scope's object raises NotFoundError, which
DomainErrorMiddleware turns into the 404 page. A refused service call is shown as a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dibiao.accounts.choices import DIVISION_ROLES
from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.models import Organization
from dibiao.accounts.permissions import has_role
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.projects import selectors, services
from dibiao.projects.choices import ContractStatus, ProgramStatus
from dibiao.projects.forms import (
    AllocationAmountForm,
    AllocationCreateForm,
    ContractForm,
    ContractStatusForm,
    DeliverableFormSet,
    DisbursementForm,
    EntryForm,
    EntryReverseForm,
    EntryReviewForm,
    ProgramCreateForm,
    ProgramEditForm,
    ProgramTransitionForm,
    ResponsibleForm,
    deliverables_of,
    form_errors,
)
from dibiao.projects.models import Allocation, Contract, Program
from dibiao.projects.permissions import can_keep_ledger, can_manage_programs, can_review_entries
from dibiao.projects.selectors import LedgerRow

LEDGER_HEADERS = [
    "年度",
    "产品",
    "实施地区",
    "凭证号",
    "支付日期",
    "类型",
    "收款单位",
    "合同编号",
    "实施内容",
    "摘要",
    "金额（元）",
    "占用（元）",
    "退回（元）",
    "余额（元）",
    "状态",
    "冲销的凭证号",
    "记账人",
    "记账时间",
    "审核人",
    "审核时间",
    "审核意见",
]


def _government(request: HttpRequest) -> None:
    """The program pages are the government's: province, city, county and county government."""
    if not has_role(request.user, *DIVISION_ROLES):
        raise PermissionDenied


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _back(request: HttpRequest, default: str) -> HttpResponseBase:
    """Back to the page the form was on (`next`, same site only), else to `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _quarter_ends(year: int) -> list[dt.date]:
    return [dt.date(year, month, day) for month, day in ((3, 31), (6, 30), (9, 30), (12, 31))]


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _ledger_row(row: LedgerRow) -> list[object]:
    e = row.entry
    return [
        e.allocation.program.year,
        e.allocation.product.name,
        e.allocation.division.name,
        e.voucher_number,
        e.paid_on,
        e.get_kind_display(),
        e.payee,
        e.contract.number if e.contract else "",
        e.get_area_display(),
        e.description,
        e.amount,
        row.outflow,
        row.inflow,
        row.balance,
        e.get_status_display(),
        e.reverses.voucher_number if e.reverses else "",
        str(e.recorded_by),
        _local(e.recorded_at),
        str(e.reviewed_by or ""),
        _local(e.reviewed_at),
        e.review_note,
    ]


def _ledger_export(
    request: AuthedRequest, *, obj: Program | Allocation, count: int, rows: Iterable[LedgerRow]
) -> HttpResponseBase:
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=obj,
        detail=f"导出资金台账 {count} 条（数据范围内）",
    )
    return xlsx_response(
        filename=f"资金台账-{obj}",
        sheet_title="资金台账",
        headers=LEDGER_HEADERS,
        rows=(_ledger_row(row) for row in rows),
    )


# --- Programs ------------------------------------------------------------------------------


@login_required
def program_list(request: AuthedRequest) -> HttpResponseBase:
    _government(request)
    page = paginate(request, selectors.program_list_for_user(user=request.user))
    rows = [
        (program, selectors.program_execution(user=request.user, program=program))
        for program in page["object_list"]
    ]
    whole = any(selectors.program_sees_whole(user=request.user, program=p) for p, _ in rows)
    context = {
        "rows": rows,
        "whole": whole,
        "can_manage": can_manage_programs(request.user),
        **page,
    }
    return render(request, "projects/program_list.html", context)


@login_required
def program_create(request: AuthedRequest) -> HttpResponseBase:
    _require(can_manage_programs(request.user))
    provinces = selectors.program_provinces_for_user(user=request.user)
    form = ProgramCreateForm(request.POST or None, provinces=provinces)
    if request.method == "POST" and form.is_valid():
        try:
            program = services.program_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"保护工程“{program.name}”已创建。")
            return redirect("projects:program-detail", pk=program.pk)
    return render(request, "projects/program_form.html", {"form": form, "program": None})


@login_required
def program_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_manage_programs(request.user))
    program = selectors.program_get_for_user(user=request.user, pk=pk)
    initial = {
        "name": program.name,
        "total_budget": program.total_budget,
        "monthly_dispatch_day": program.monthly_dispatch_day,
        "annual_summary_deadline": program.annual_summary_deadline,
    }
    form = ProgramEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(actor=request.user, program=program, data=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "保护工程已保存。")
            return redirect("projects:program-detail", pk=program.pk)
    return render(request, "projects/program_form.html", {"form": form, "program": program})


def _program_context(request: AuthedRequest, program: Program, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_manage = can_manage_programs(user)
    allocation_form = forms.get("allocation_form")
    if allocation_form is None and can_manage and program.status != ProgramStatus.CLOSED:
        allocation_form = AllocationCreateForm(
            products=selectors.program_product_choices(user=user, program=program)
        )
    return {
        "program": program,
        "execution": selectors.program_execution(user=user, program=program),
        "whole": selectors.program_sees_whole(user=user, program=program),
        "allocations": selectors.program_allocation_rows(user=user, program=program),
        "targets": program.targets.all(),
        "quarter_ends": _quarter_ends(program.year),
        "spending_by_area": selectors.program_spending_table(
            user=user, program=program, field="area"
        ),
        "can_manage": can_manage,
        "next_statuses": services.program_next_statuses(program) if can_manage else [],
        "allocation_form": allocation_form,
    }


@login_required
def program_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    program = selectors.program_get_for_user(user=request.user, pk=pk)
    return render(request, "projects/program_detail.html", _program_context(request, program))


@require_POST
@login_required
def program_transition(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_manage_programs(request.user))
    program = selectors.program_get_for_user(user=request.user, pk=pk)
    form = ProgramTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择新状态。")
    else:
        try:
            program = services.program_transition(
                actor=request.user, program=program, status=form.cleaned_data["status"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"保护工程已改为“{program.get_status_display()}”。")
    return redirect("projects:program-detail", pk=pk)


@login_required
def program_export(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    program = selectors.program_get_for_user(user=request.user, pk=pk)
    entries = selectors.program_entry_list_for_user(user=request.user, program=program)
    return _ledger_export(
        request,
        obj=program,
        count=entries.count(),
        rows=selectors.ledger_rows(entries.iterator(chunk_size=500)),
    )


# --- Allocations ---------------------------------------------------------------------------


@require_POST
@login_required
def allocation_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_manage_programs(request.user))
    program = selectors.program_get_for_user(user=request.user, pk=pk)
    products = selectors.program_product_choices(user=request.user, program=program)
    form = AllocationCreateForm(request.POST, products=products)
    if form.is_valid():
        try:
            allocation = services.allocation_create(
                actor=request.user, program=program, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已为“{allocation.product.name}”分配资金。")
            return redirect("projects:program-detail", pk=pk)
    context = _program_context(request, program, allocation_form=form)
    return render(request, "projects/program_detail.html", context)


def _allocation_action(
    request: AuthedRequest, pk: int, form: Any, act: Any, done: str
) -> HttpResponseBase:
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            act(allocation, form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done.format(product=allocation.product.name))
    return _back(request, reverse("projects:allocation-detail", args=[pk]))


@require_POST
@login_required
def allocation_amount(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_manage_programs(request.user))

    def act(allocation: Allocation, data: dict[str, Any]) -> None:
        services.allocation_change_amount(
            actor=request.user, allocation=allocation, amount=data["amount"]
        )

    form = AllocationAmountForm(request.POST)
    return _allocation_action(request, pk, form, act, "“{product}”的补助资金已调整。")


@require_POST
@login_required
def allocation_disbursement(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_manage_programs(request.user))

    def act(allocation: Allocation, data: dict[str, Any]) -> None:
        services.allocation_record_disbursement(
            actor=request.user, allocation=allocation, disbursed_on=data["disbursed_on"]
        )

    form = DisbursementForm(request.POST)
    return _allocation_action(request, pk, form, act, "“{product}”的资金下达日期已登记。")


@require_POST
@login_required
def allocation_responsible(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_ledger(request.user) or can_manage_programs(request.user))
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    candidates = selectors.allocation_responsible_choices(allocation=allocation)

    def act(allocation: Allocation, data: dict[str, Any]) -> None:
        services.allocation_set_responsible(
            actor=request.user, allocation=allocation, responsible=data["responsible"]
        )

    form = ResponsibleForm(request.POST, candidates=candidates)
    return _allocation_action(request, pk, form, act, "“{product}”的资金专管员已指定。")


def _allocation_context(
    request: AuthedRequest, allocation: Allocation, **forms: Any
) -> dict[str, Any]:
    user = request.user
    keeps_ledger = can_keep_ledger(user, allocation)
    manages = can_manage_programs(user)
    entries = selectors.entry_list_for_user(user=user, allocation=allocation)
    ledger = list(selectors.ledger_rows(entries))
    contracts = selectors.contract_list_for_user(user=user, allocation=allocation)
    active_contracts = contracts.filter(status=ContractStatus.ACTIVE)
    context: dict[str, Any] = {
        "allocation": allocation,
        "program": allocation.program,
        "contracts": contracts,
        "contract_room": allocation.amount - allocation.contracted_total,
        "ledger": ledger,
        "reversed_ids": {row.entry.reverses_id for row in ledger if row.entry.reverses_id},
        "spending_by_area": selectors.allocation_spending_table(
            allocation=allocation, field="area"
        ),
        "spending_by_month": selectors.allocation_spending_table(
            allocation=allocation, field="month"
        ),
        "can_keep_ledger": keeps_ledger,
        "can_review": can_review_entries(user),
        "can_manage": manages,
        "today": timezone.localdate(),
    }
    if keeps_ledger:
        context["contract_form"] = forms.get("contract_form") or ContractForm(
            parties=_parties(request)
        )
        context["deliverable_formset"] = forms.get("deliverable_formset") or DeliverableFormSet(
            prefix="deliverables"
        )
        context["entry_form"] = forms.get("entry_form") or EntryForm(contracts=active_contracts)
    if keeps_ledger or manages:
        context["responsible_form"] = ResponsibleForm(
            candidates=selectors.allocation_responsible_choices(allocation=allocation),
            initial={"responsible": allocation.responsible_id},
        )
    return context


def _parties(request: AuthedRequest) -> Any:
    return Organization.objects.restrict(request.user).filter(is_active=True).order_by("name")


@login_required
def allocation_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    context = _allocation_context(request, allocation)
    return render(request, "projects/allocation_detail.html", context)


@login_required
def allocation_export(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    entries = selectors.entry_list_for_user(user=request.user, allocation=allocation)
    entries = entries.select_related("allocation__division", "allocation__program")
    return _ledger_export(
        request, obj=allocation, count=entries.count(), rows=selectors.ledger_rows(entries)
    )


# --- Contracts -----------------------------------------------------------------------------


@require_POST
@login_required
def contract_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_ledger(request.user))
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    _require(can_keep_ledger(request.user, allocation))
    form = ContractForm(request.POST, parties=_parties(request))
    formset = DeliverableFormSet(request.POST, prefix="deliverables")
    if form.is_valid() and formset.is_valid():
        try:
            contract = services.contract_create(
                actor=request.user,
                allocation=allocation,
                deliverables=deliverables_of(formset),
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"合同“{contract.number}”已登记。")
            return redirect("projects:contract-detail", pk=contract.pk)
    context = _allocation_context(
        request, allocation, contract_form=form, deliverable_formset=formset
    )
    return render(request, "projects/allocation_detail.html", context)


@login_required
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    context = {
        "contract": contract,
        "allocation": contract.allocation,
        "entries": selectors.entry_list_for_user(user=request.user, contract=contract),
        "can_keep_ledger": can_keep_ledger(request.user, contract.allocation),
        "status_form": ContractStatusForm(),
    }
    return render(request, "projects/contract_detail.html", context)


@require_POST
@login_required
def contract_status(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_ledger(request.user))
    contract: Contract = selectors.contract_get_for_user(user=request.user, pk=pk)
    _require(can_keep_ledger(request.user, contract.allocation))
    form = ContractStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            contract = services.contract_set_status(
                actor=request.user, contract=contract, **form.cleaned_data
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"合同已改为“{contract.get_status_display()}”。")
    return redirect("projects:contract-detail", pk=pk)


# --- Fund ledger ---------------------------------------------------------------------------


@require_POST
@login_required
def entry_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_ledger(request.user))
    allocation = selectors.allocation_get_for_user(user=request.user, pk=pk)
    _require(can_keep_ledger(request.user, allocation))
    contracts = selectors.contract_list_for_user(
        user=request.user, allocation=allocation, status=ContractStatus.ACTIVE
    )
    form = EntryForm(request.POST, contracts=contracts)
    if form.is_valid():
        try:
            entry = services.entry_record(
                actor=request.user, allocation=allocation, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"支出“{entry.voucher_number}”已记账，待另一位工作人员审核。")
            return redirect(reverse("projects:allocation-detail", args=[pk]) + "#ledger")
    context = _allocation_context(request, allocation, entry_form=form)
    return render(request, "projects/allocation_detail.html", context)


@login_required
def entry_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    entry = selectors.entry_get_for_user(user=request.user, pk=pk)
    context = {
        "entry": entry,
        "allocation": entry.allocation,
        "reversal": selectors.entry_list_for_user(user=request.user).filter(reverses=entry).first(),
        "can_review": can_review_entries(request.user),
        "can_keep_ledger": can_keep_ledger(request.user, entry.allocation),
    }
    return render(request, "projects/entry_detail.html", context)


def _entry_back(request: AuthedRequest, allocation_id: int) -> HttpResponseBase:
    return _back(request, reverse("projects:allocation-detail", args=[allocation_id]) + "#ledger")


@require_POST
@login_required
def entry_review(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_review_entries(request.user))
    entry = selectors.entry_get_for_user(user=request.user, pk=pk)
    form = EntryReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择通过或退回。")
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.entry_review(
                actor=request.user, entry=entry, approve=approve, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            verb = "审核通过" if approve else "退回"
            messages.success(request, f"分录“{entry.voucher_number}”已{verb}。")
    return _entry_back(request, entry.allocation_id)


@require_POST
@login_required
def entry_reverse(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_ledger(request.user))
    entry = selectors.entry_get_for_user(user=request.user, pk=pk)
    _require(can_keep_ledger(request.user, entry.allocation))
    form = EntryReverseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写冲销原因。")
    else:
        try:
            reversal = services.entry_reverse(
                actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"已登记冲销分录“{reversal.voucher_number}”，待另一位工作人员审核。"
            )
    return _entry_back(request, entry.allocation_id)
