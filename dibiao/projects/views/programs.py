"""Pages of the protection program: list, create/edit, detail, status, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.projects import selectors, services
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.forms import (
    AllocationCreateForm,
    ProgramCreateForm,
    ProgramEditForm,
    ProgramTransitionForm,
)
from dibiao.projects.models import Program
from dibiao.projects.permissions import can_manage_programs
from dibiao.projects.views.common import (
    _government,
    _ledger_export,
    _quarter_ends,
    _require,
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
