"""Pages of contracts: create, detail, status."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.projects import selectors, services
from dibiao.projects.forms import (
    ContractForm,
    ContractStatusForm,
    DeliverableFormSet,
    deliverables_of,
    form_errors,
)
from dibiao.projects.models import Contract
from dibiao.projects.permissions import can_keep_ledger
from dibiao.projects.views.allocations import (
    _allocation_context,
    _parties,
)
from dibiao.projects.views.common import (
    _government,
    _require,
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
