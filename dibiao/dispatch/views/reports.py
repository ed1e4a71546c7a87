"""Pages of progress dispatch: the county's own reports, the report form, and for the city and
the province who is late, the submission matrix, returns and the monthly table.

Objects come through the selectors, so another scope's object raises NotFoundError, which
DomainErrorMiddleware turns into the 404 page. A refused service call is shown as a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.dispatch import exports, selectors, services
from dibiao.dispatch.choices import ReportKind, ReportStatus
from dibiao.dispatch.forms import ReasonForm, ReportForm
from dibiao.dispatch.models import DispatchReport
from dibiao.dispatch.periods import parse_month
from dibiao.dispatch.permissions import (
    can_supervise,
    can_view_dispatch,
    is_implementer,
    supervises,
)
from dibiao.projects.models import Program
from dibiao.projects.selectors import allocation_get_for_user


def _government(request: HttpRequest) -> None:
    if not can_view_dispatch(request.user):
        raise PermissionDenied


def _selected_program(request: AuthedRequest) -> tuple[list[Program], Program | None]:
    """The implementing programs in scope and the one asked for (`?program=`, else the
    latest)."""
    programs = list(selectors.dispatch_programs_for_user(user=request.user))
    raw = request.GET.get("program", "")
    chosen = next((p for p in programs if str(p.pk) == raw), None)
    return programs, chosen or (programs[0] if programs else None)


def _month_choices(program: Program, today: dt.date) -> list[dt.date]:
    """The program's months that have begun, latest first."""
    months = [dt.date(program.year, m, 1) for m in range(1, 13)]
    return [m for m in reversed(months) if m <= today]


def _own_rows(user: object, rows: list[selectors.PeriodStatus]) -> list[selectors.PeriodStatus]:
    """The rows of the allocations the user implements (asked once per division)."""
    mine: dict[int, bool] = {}
    for row in rows:
        division = row.allocation.division
        if division.pk not in mine:
            mine[division.pk] = is_implementer(user, division)
    return [row for row in rows if mine[row.allocation.division_id]]


def _supervision_context(user: object, program: Program, today: dt.date) -> dict[str, object]:
    columns, matrix = selectors.submission_matrix(user=user, program=program, today=today)
    months = _month_choices(program, today)
    return {
        "overdue": selectors.overdue_reports(user=user, program=program, today=today),
        "columns": columns,
        "matrix": matrix,
        "months": months,
        # The table being compiled is last month's (December's for a past year).
        "default_month": next((m for m in months if m < today.replace(day=1)), None),
    }


@login_required
def home(request: AuthedRequest) -> HttpResponseBase:
    _government(request)
    programs, program = _selected_program(request)
    today = timezone.localdate()
    context: dict[str, object] = {"programs": programs, "program": program, "today": today}
    if program is not None:
        schedule = selectors.report_schedule_for_user(
            user=request.user, program=program, today=today
        )
        own = _own_rows(request.user, schedule)
        supervisor = can_supervise(request.user)
        context.update(
            {
                "own_rows": own,
                # A county government sees its county's reports without acting on them.
                "read_only_rows": schedule if not own and not supervisor else [],
                "supervisor": supervisor,
            }
        )
        if supervisor:
            context.update(_supervision_context(request.user, program, today))
    return render(request, "dispatch/dispatch_home.html", context)


@login_required
def report_list(request: AuthedRequest) -> HttpResponseBase:
    _government(request)
    programs, program = _selected_program(request)
    params = request.GET
    reports = (
        selectors.report_list_for_user(
            user=request.user,
            program=program,
            kind=params.get("kind", ""),
            status=params.get("status", ""),
        )
        if program is not None
        else DispatchReport.objects.none()
    )
    context = {
        "programs": programs,
        "program": program,
        "params": params,
        "kinds": ReportKind.choices,
        "statuses": ReportStatus.choices,
        **paginate(request, reports),
    }
    return render(request, "dispatch/report_list.html", context)


@login_required
def report_edit(
    request: AuthedRequest, allocation_pk: int, kind: str, period: str
) -> HttpResponseBase:
    """File or correct the report of one period (create or edit: one page)."""
    _government(request)
    allocation = allocation_get_for_user(user=request.user, pk=allocation_pk)
    if not is_implementer(request.user, allocation.division):
        raise PermissionDenied
    try:
        start = dt.date.fromisoformat(period)
    except ValueError:
        raise Http404 from None
    found = selectors.allocation_period(allocation, kind, start)
    if found is None:
        raise Http404
    report = selectors.report_find_for_user(
        user=request.user, allocation=allocation, kind=kind, period_start=start
    )
    if report is not None and not report.is_editable:
        messages.info(request, "该报告已报送；如需更正，请上级退回。")
        return redirect("dispatch:report-detail", pk=report.pk)
    targets = allocation.program.targets.all()
    form = ReportForm(request.POST or None, targets=targets, report=report)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.report_save(
                actor=request.user,
                allocation=allocation,
                kind=kind,
                period_start=start,
                data=form.data_fields(),
                lines=form.lines(),
            )
            if request.POST.get("action") == "submit":
                saved = services.report_submit(actor=request.user, report=saved)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if saved.status == ReportStatus.SUBMITTED:
                late = "（迟报）" if saved.submitted_late else ""
                messages.success(
                    request, f"{saved.period_label}{saved.get_kind_display()}已报送{late}。"
                )
            else:
                messages.success(request, "已保存草稿。")
            return redirect("dispatch:report-detail", pk=saved.pk)
    spent = (
        report.funds_spent_to_date
        if report is not None
        else selectors.allocation_spent_until(allocation=allocation, until=found.end)
    )
    context = {
        "allocation": allocation,
        "period": found,
        "report": report,
        "form": form,
        "spent": spent,
        "rate": selectors.execution_rate(spent, allocation.amount),
        "today": timezone.localdate(),
    }
    return render(request, "dispatch/report_form.html", context)


@login_required
def report_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    division = report.allocation.division
    context = {
        "report": report,
        "rate": selectors.execution_rate(report.funds_spent_to_date, report.allocation.amount),
        "can_file": report.is_editable and is_implementer(request.user, division),
        "can_return": report.status == ReportStatus.SUBMITTED
        and supervises(request.user, division)
        and report.submitted_by_id != request.user.pk,
        "return_form": ReasonForm(),
        "edit_url": reverse(
            "dispatch:report-edit",
            args=[report.allocation_id, report.kind, report.period_start.isoformat()],
        ),
    }
    return render(request, "dispatch/report_detail.html", context)


@require_POST
@login_required
def report_submit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    try:
        report = services.report_submit(actor=request.user, report=report)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        late = "（迟报）" if report.submitted_late else ""
        messages.success(request, f"已报送{late}。")
    return redirect("dispatch:report-detail", pk=pk)


@require_POST
@login_required
def report_return(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写退回原因。")
    else:
        try:
            services.report_return(
                actor=request.user, report=report, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已退回，县级将修改后重新报送。")
    return redirect("dispatch:report-detail", pk=pk)


@login_required
def table_export(request: AuthedRequest) -> HttpResponseBase:
    """The monthly dispatch table of a program: `?program=&month=YYYY-MM&format=xlsx|docx`."""
    if not can_supervise(request.user):
        raise PermissionDenied
    raw_program = request.GET.get("program", "")
    if not raw_program.isdigit():
        raise Http404
    program = selectors.dispatch_program_for_user(user=request.user, pk=int(raw_program))
    month = parse_month(request.GET.get("month", ""))
    fmt = request.GET.get("format", "xlsx")
    if month is None or month.year != program.year or fmt not in exports.FORMATS:
        messages.error(request, "请选择工程年度内的月份和导出格式。")
        return redirect(f"{reverse('dispatch:home')}?program={program.pk}")
    table = selectors.monthly_table(
        user=request.user, program=program, month=month, today=timezone.localdate()
    )
    return exports.table_response(user=request.user, table=table, fmt=fmt)
