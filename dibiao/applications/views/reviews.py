"""Review pages: the province's review console (scheme, open, close), ranking (and Excel);
the expert's assignments and scoring form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.applications import selectors, services
from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.conflicts import conflicts_among
from dibiao.applications.forms import (
    CriterionFormSet,
    RecuseForm,
    ReviewOpenForm,
    SchemeForm,
    ScoreForm,
)
from dibiao.applications.models import Application
from dibiao.applications.permissions import can_manage_review, is_expert
from dibiao.applications.scoring import min_scores
from dibiao.applications.views.common import form_errors
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.projects.models import Program
from dibiao.projects.selectors import program_get_for_user

RANKING_HEADERS = [
    "排名",
    "评审得分",
    "计分专家数",
    "产品",
    "申报县",
    "申报单位",
    "申请补助资金（元）",
    "状态",
    "确定补助资金（元）",
]


def _province_program(request: AuthedRequest, program_id: int) -> Program:
    program = program_get_for_user(user=request.user, pk=program_id)
    if not can_manage_review(request.user):
        raise PermissionDenied
    return program


def _open_form(request: AuthedRequest, program: Program, data: Any = None) -> ReviewOpenForm:
    waiting = Application.objects.restrict(request.user).filter(
        program=program,
        status__in=[ApplicationStatus.RECOMMENDED, ApplicationStatus.UNDER_REVIEW],
    )
    recommended = waiting.filter(status=ApplicationStatus.RECOMMENDED)
    return ReviewOpenForm(
        data,
        applications=waiting.select_related("product", "division").order_by("status", "id"),
        experts=selectors.expert_list_for_user(user=request.user),
        initial={"applications": list(recommended.values_list("pk", flat=True))},
    )


@login_required
def review_console(request: AuthedRequest, program_id: int) -> HttpResponseBase:
    program = _province_program(request, program_id)
    progress = list(selectors.review_progress_for_user(user=request.user, program=program))
    experts = list(selectors.expert_list_for_user(user=request.user))
    # Shown beside each expert so the province sees whom the rule will refuse before choosing.
    conflicts: dict[int, list[str]] = {}
    for conflict in conflicts_among(experts, progress):
        conflicts.setdefault(conflict.expert.pk, []).append(conflict.application.product.name)
    context = {
        "program": program,
        "counts": selectors.program_status_counts(user=request.user, program=program),
        "statuses": ApplicationStatus,
        "scheme": selectors.scheme_for(program=program),
        "scheme_locked": services.scheme_is_locked(program),
        "progress": progress,
        "under_review": [a for a in progress if a.status == ApplicationStatus.UNDER_REVIEW],
        "open_form": _open_form(request, program),
        "conflicts": conflicts,
        "min_scores": min_scores(),
    }
    return render(request, "applications/review_console.html", context)


@require_POST
@login_required
def review_open(request: AuthedRequest, program_id: int) -> HttpResponseBase:
    program = _province_program(request, program_id)
    form = _open_form(request, program, request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form) or "请选择申报和评审专家。")
    else:
        try:
            created = services.review_open(
                actor=request.user,
                program=program,
                experts=list(form.cleaned_data["experts"]),
                applications=list(form.cleaned_data["applications"]),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已指派 {len(created)} 项评审任务。")
    return redirect("applications:review-console", program_id=program.pk)


@require_POST
@login_required
def review_close(request: AuthedRequest, program_id: int) -> HttpResponseBase:
    program = _province_program(request, program_id)
    try:
        closed = services.review_close(actor=request.user, program=program)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("applications:review-console", program_id=program.pk)
    messages.success(request, f"评审已结束，{len(closed)} 份申报已计分并排名。")
    return redirect("applications:review-ranking", program_id=program.pk)


@login_required
def review_scheme(request: AuthedRequest, program_id: int) -> HttpResponseBase:
    program = _province_program(request, program_id)
    current = selectors.scheme_for(program=program)
    post = request.POST if request.method == "POST" else None
    form = SchemeForm(post, initial={"name": current.name, "trimmed": current.trimmed})
    criteria = CriterionFormSet(
        post,
        prefix="c",
        initial=[
            {"name": c.name, "weight": c.weight, "max_points": c.max_points}
            for c in current.criteria
        ],
    )
    if post is not None and form.is_valid() and criteria.is_valid():
        try:
            services.review_scheme_save(
                actor=request.user,
                program=program,
                name=form.cleaned_data["name"],
                trimmed=form.cleaned_data["trimmed"],
                criteria=[s for f in criteria.forms if (s := f.spec()) is not None],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "评审方案已保存。")
            return redirect("applications:review-console", program_id=program.pk)
    context = {
        "program": program,
        "form": form,
        "criteria": criteria,
        "locked": services.scheme_is_locked(program),
    }
    return render(request, "applications/review_scheme.html", context)


@login_required
def review_ranking(request: AuthedRequest, program_id: int) -> HttpResponseBase:
    program = _province_program(request, program_id)
    rows = selectors.ranking_for_user(user=request.user, program=program)
    if request.GET.get("format") == "xlsx":
        audit_record(
            actor=request.user,
            action=AuditAction.EXPORT,
            obj=program,
            detail=f"导出评审排名 {rows.count()} 条",
        )
        return xlsx_response(
            filename=f"{program.year}年评审排名",
            sheet_title="评审排名",
            headers=RANKING_HEADERS,
            rows=(
                [
                    a.rank,
                    a.score,
                    a.score_count,
                    a.product.name,
                    a.division.name,
                    a.organization.name,
                    a.requested_amount,
                    a.get_status_display(),
                    a.funding_amount,
                ]
                for a in rows
            ),
        )
    context = {"program": program, "rows": rows, "statuses": ApplicationStatus}
    return render(request, "applications/review_ranking.html", context)


# --- experts --------------------------------------------------------------------------------


@login_required
def review_list(request: AuthedRequest) -> HttpResponseBase:
    if not is_expert(request.user):
        raise PermissionDenied
    status = request.GET.get("status", "")
    rows = selectors.assignment_list_for_user(user=request.user, status=status)
    context = {
        "params": request.GET,
        "statuses": AssignmentStatus.choices,
        **paginate(request, rows),
    }
    return render(request, "applications/review_list.html", context)


@login_required
def review_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    application = assignment.application
    criteria = selectors.criteria_for(program_id=application.program_id)
    can_score = (
        assignment.status == AssignmentStatus.ASSIGNED
        and application.status == ApplicationStatus.UNDER_REVIEW
    )
    form = ScoreForm(request.POST if request.method == "POST" else None, criteria=criteria)
    if request.method == "POST" and can_score and form.is_valid():
        try:
            services.score_submit(
                actor=request.user,
                assignment=assignment,
                scores=form.scores(),
                opinion=form.cleaned_data["opinion"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "评分已提交。")
            return redirect("applications:review-detail", pk=pk)
    lines = list(application.budget_lines.all())
    context = {
        "assignment": assignment,
        "application": application,
        "lines": lines,
        "lines_total": sum((line.amount for line in lines), 0),
        "targets": application.targets.all(),
        "criteria": criteria,
        "form": form,
        "can_score": can_score,
        "recuse_form": RecuseForm(),
        "panel": selectors.panel_scores_for_user(user=request.user, application=application),
    }
    return render(request, "applications/review_detail.html", context)


@require_POST
@login_required
def review_recuse(request: AuthedRequest, pk: int) -> HttpResponseBase:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    form = RecuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请说明回避原因。")
    else:
        try:
            services.assignment_recuse(
                actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已回避该申报的评审。")
    return redirect("applications:review-detail", pk=pk)
