"""Pages of the fund ledger: record, detail, review, reverse."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.projects import selectors, services
from dibiao.projects.choices import ContractStatus
from dibiao.projects.forms import (
    EntryForm,
    EntryReverseForm,
    EntryReviewForm,
)
from dibiao.projects.permissions import can_keep_ledger, can_review_entries
from dibiao.projects.views.allocations import (
    _allocation_context,
)
from dibiao.projects.views.common import (
    _back,
    _government,
    _require,
)

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
