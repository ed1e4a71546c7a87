"""Pages of allocations: detail with contracts and ledger, amount, disbursement, responsible person, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.models import Organization
from dibiao.core.errors import DomainError
from dibiao.projects import selectors, services
from dibiao.projects.choices import ContractStatus
from dibiao.projects.forms import (
    AllocationAmountForm,
    AllocationCreateForm,
    ContractForm,
    DeliverableFormSet,
    DisbursementForm,
    EntryForm,
    ResponsibleForm,
    form_errors,
)
from dibiao.projects.models import Allocation
from dibiao.projects.permissions import can_keep_ledger, can_manage_programs, can_review_entries
from dibiao.projects.views.common import (
    _back,
    _government,
    _ledger_export,
    _require,
)
from dibiao.projects.views.programs import (
    _program_context,
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
