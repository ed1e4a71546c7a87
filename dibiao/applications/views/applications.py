"""Application pages: list (and Excel), create/edit with budget lines and targets, detail with
the history and the steps the user may take, and the province's decision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.applications import selectors, services
from dibiao.applications.choices import ApplicationStatus
from dibiao.applications.forms import (
    ApplicationForm,
    BudgetLineFormSet,
    DecideForm,
    StepForm,
    TargetsForm,
    budget_lines_from,
)
from dibiao.applications.models import Application
from dibiao.applications.permissions import (
    allowed_transitions,
    can_apply,
    can_manage_review,
    is_expert,
)
from dibiao.applications.views.common import allocation_url, require_staff
from dibiao.applications.workflow import EDITABLE, INACTIVE, SIMPLE_ACTIONS
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Program
from dibiao.projects.selectors import program_get_for_user, program_list_for_user
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct

EXPORT_HEADERS = [
    "年度",
    "保护工程",
    "产品",
    "申报县",
    "申报单位",
    "申请补助资金（元）",
    "状态",
    "评审得分",
    "排名",
    "确定补助资金（元）",
    "提交时间",
]

_STEPS = {
    "submit": services.application_submit,
    "confirm": services.application_confirm,
    "recommend": services.application_recommend,
    "return": services.application_return,
    "withdraw": services.application_withdraw,
}


def _filtered(request: HttpRequest) -> Any:
    params = request.GET
    program = params.get("program", "")
    return selectors.application_list_for_user(
        user=request.user,
        program=int(program) if program.isdigit() else None,
        status=params.get("status", ""),
        q=params.get("q", "").strip(),
    )


@login_required
def application_list(request: AuthedRequest) -> HttpResponseBase:
    if (
        is_expert(request.user)
        and not selectors.application_list_for_user(user=request.user).exists()
    ):
        return redirect("applications:review-list")
    require_staff(request)
    context = {
        "params": request.GET,
        "statuses": ApplicationStatus.choices,
        "programs": program_list_for_user(user=request.user),
        "can_apply": can_apply(request.user),
        "can_manage_review": can_manage_review(request.user),
        **paginate(request, _filtered(request)),
    }
    return render(request, "applications/application_list.html", context)


def _export_row(a: Application, user: Any) -> list[object]:
    visible = selectors.score_visible_to(user, a)
    return [
        a.program.year,
        a.program.name,
        a.product.name,
        a.division.name,
        a.organization.name,
        a.requested_amount,
        a.get_status_display(),
        a.score if visible else None,
        a.rank if visible else None,
        a.funding_amount,
        a.submitted_at.strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
    ]


@login_required
def application_export(request: AuthedRequest) -> HttpResponseBase:
    require_staff(request)
    rows = _filtered(request)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="applications.application",
        detail=f"导出申报 {rows.count()} 条；条件：{request.GET.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="申报列表",
        sheet_title="申报",
        headers=EXPORT_HEADERS,
        rows=(_export_row(a, request.user) for a in rows),
    )


def _products(request: AuthedRequest, program: Program) -> Any:
    taken = Application.objects.filter(program=program).exclude(status__in=INACTIVE)
    return (
        GIProduct.objects.restrict(request.user)
        .filter(status=ProductStatus.REGISTERED)
        .exclude(pk__in=taken.values("product_id"))
        .order_by("name")
    )


def _render_form(request: AuthedRequest, context: dict[str, Any]) -> HttpResponseBase:
    return render(request, "applications/application_form.html", context)


@login_required
def application_create(request: AuthedRequest) -> HttpResponseBase:
    if not can_apply(request.user):
        raise PermissionDenied
    open_programs = program_list_for_user(user=request.user).filter(status=ProgramStatus.OPEN)
    chosen = request.GET.get("program", "")
    if not chosen.isdigit():
        if open_programs.count() != 1:
            return _render_form(request, {"open_programs": open_programs})
        chosen = str(open_programs[0].pk)
    program = program_get_for_user(user=request.user, pk=int(chosen))
    post = request.POST if request.method == "POST" else None
    form = ApplicationForm(post, products=_products(request, program))
    lines = BudgetLineFormSet(post, prefix="lines")
    targets = TargetsForm(post, templates=list(program.targets.all()), prefix="t")
    if post is not None and form.is_valid() and lines.is_valid() and targets.is_valid():
        try:
            application = services.application_create(
                actor=request.user,
                program=program,
                product=form.cleaned_data["product"],
                plan=form.cleaned_data["plan"],
                requested_amount=form.cleaned_data["requested_amount"],
                budget_lines=budget_lines_from(lines),
                targets=targets.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "申报草稿已保存。核对预算与指标后可提交。")
            return redirect("applications:application-detail", pk=application.pk)
    return _render_form(
        request, {"program": program, "form": form, "lines": lines, "targets": targets}
    )


@login_required
def application_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require_staff(request)
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    if not _can_edit(request, application):
        raise PermissionDenied
    post = request.POST if request.method == "POST" else None
    initial = {"plan": application.plan, "requested_amount": application.requested_amount}
    form = ApplicationForm(post, initial=initial)
    lines = BudgetLineFormSet(
        post,
        prefix="lines",
        initial=[
            {"area": line.area, "description": line.description, "amount": line.amount}
            for line in application.budget_lines.all()
        ],
    )
    targets = TargetsForm(
        post,
        templates=list(application.program.targets.all()),
        current=list(application.targets.all()),
        prefix="t",
    )
    if post is not None and form.is_valid() and lines.is_valid() and targets.is_valid():
        try:
            services.application_update(
                actor=request.user,
                application=application,
                plan=form.cleaned_data["plan"],
                requested_amount=form.cleaned_data["requested_amount"],
                budget_lines=budget_lines_from(lines),
                targets=targets.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "申报已保存。")
            return redirect("applications:application-detail", pk=pk)
    return _render_form(
        request,
        {
            "program": application.program,
            "application": application,
            "form": form,
            "lines": lines,
            "targets": targets,
        },
    )


def _can_edit(request: AuthedRequest, application: Application) -> bool:
    return application.status in EDITABLE and any(
        t.action == "submit" for t in allowed_transitions(request.user, application)
    )


@login_required
def application_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require_staff(request)
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    allowed = allowed_transitions(request.user, application)
    lines = list(application.budget_lines.all())
    context = {
        "application": application,
        "events": selectors.application_events(application=application),
        "lines": lines,
        "lines_total": sum((line.amount for line in lines), 0),
        "targets": application.targets.all(),
        "steps": [t for t in allowed if t.action in SIMPLE_ACTIONS],
        "can_decide": any(t.action in ("select", "reject") for t in allowed),
        "can_open_review": any(t.action == "open_review" for t in allowed),
        "can_edit": _can_edit(request, application),
        "score_visible": selectors.score_visible_to(request.user, application),
        "panel": selectors.panel_scores_for_user(user=request.user, application=application),
        "step_form": StepForm(),
        "allocation_url": allocation_url(application.allocation_id),
    }
    return render(request, "applications/application_detail.html", context)


@require_POST
@login_required
def application_step(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require_staff(request)
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    action = request.POST.get("action", "")
    form = StepForm(request.POST)
    if action not in _STEPS or not form.is_valid():
        messages.error(request, "无法识别的操作。")
        return redirect("applications:application-detail", pk=pk)
    try:
        done = _STEPS[action](
            actor=request.user, application=application, comment=form.cleaned_data["comment"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已办理，申报当前为“{done.get_status_display()}”。")
    return redirect("applications:application-detail", pk=pk)


@login_required
def application_decide(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require_staff(request)
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    if not can_manage_review(request.user):
        raise PermissionDenied
    form = DecideForm(
        request.POST if request.method == "POST" else None,
        initial={"decision": "selected", "amount": application.requested_amount},
    )
    if request.method == "POST" and form.is_valid():
        selected = form.cleaned_data["decision"] == "selected"
        try:
            services.application_decide(
                actor=request.user,
                application=application,
                selected=selected,
                amount=form.cleaned_data["amount"] if selected else None,
                comment=form.cleaned_data["comment"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已确定。" + ("资金已分配。" if selected else ""))
            return redirect("applications:application-detail", pk=pk)
    context = {
        "application": application,
        "form": form,
        "program": application.program,
        "panel": selectors.panel_scores_for_user(user=request.user, application=application),
    }
    return render(request, "applications/application_decide.html", context)
