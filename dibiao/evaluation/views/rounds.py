"""Evaluation rounds, the scores of each evaluated product, and appeals."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.evaluation import selectors, services
from dibiao.evaluation.choices import AppealStatus, ItemMethod, RoundStatus
from dibiao.evaluation.forms import AppealForm, DecisionForm, RoundForm, ScoreForm
from dibiao.evaluation.permissions import can_appeal, can_run_rounds, is_evaluator
from dibiao.evaluation.views.common import government, selected_program


@login_required
def round_list(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    programs, program = selected_program(request)
    rounds = (
        selectors.round_list_for_user(
            user=request.user, program=program, status=request.GET.get("status", "")
        )
        if program
        else []
    )
    context = {
        "programs": programs,
        "program": program,
        "rounds": rounds,
        "statuses": RoundStatus.choices,
        "params": request.GET,
        "schemes": selectors.scheme_list_for_user(user=request.user, program=program)
        if program and can_run_rounds(request.user)
        else [],
        "pending_appeals": selectors.appeal_list_for_user(
            user=request.user, status=AppealStatus.PENDING
        ).count(),
    }
    return render(request, "evaluation/round_list.html", context)


@login_required
def round_create(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    if not can_run_rounds(request.user):
        raise PermissionDenied
    scheme_id = parse_id(request.GET.get("scheme"))
    if scheme_id is None:
        raise Http404
    scheme = selectors.scheme_get_for_user(user=request.user, pk=scheme_id)
    today = timezone.localdate()
    form = RoundForm(
        request.POST or None,
        initial={"name": f"{scheme.program.name}绩效考评", "as_of": today},
    )
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(actor=request.user, scheme=scheme, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "考评已创建，各项指标得分已按记录计算。")
            return redirect("evaluation:round-detail", pk=round_.pk)
    context = {"form": form, "scheme": scheme, "program": scheme.program}
    return render(request, "evaluation/round_form.html", context)


@login_required
def round_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    evaluations = selectors.evaluation_list_for_user(user=request.user, round_=round_)
    context = {
        "round": round_,
        "program": round_.program,
        "evaluations": evaluations,
        "whole": selectors.sees_whole_round(user=request.user, round_=round_),
        "evaluator": is_evaluator(request.user, round_),
        "items": list(round_.scheme.items.all()),
        "appeals": selectors.appeal_list_for_user(user=request.user, round_=round_),
    }
    return render(request, "evaluation/round_detail.html", context)


ROUND_ACTIONS = {
    "compute": (services.round_compute, "已按记录重新计算各项指标得分。"),
    "publish": (services.round_publish, "考评结果已公布，得分已锁定；被考评单位可在申诉期内申诉。"),
    "close": (services.round_close, "考评已定案。"),
}


@require_POST
@login_required
def round_action(request: AuthedRequest, pk: int, action: str) -> HttpResponseBase:
    government(request)
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    if action not in ROUND_ACTIONS:
        raise Http404
    service, done = ROUND_ACTIONS[action]
    try:
        service(actor=request.user, round_=round_)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("evaluation:round-detail", pk=pk)


@login_required
def round_export(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The ranking (or, for an evaluated county, its own rows) with each item's points."""
    government(request)
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    items = list(round_.scheme.items.all())
    evaluations = list(
        selectors.evaluation_list_for_user(user=request.user, round_=round_).prefetch_related(
            "scores"
        )
    )
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=round_,
        detail=f"导出考评结果 {len(evaluations)} 条",
    )
    rows = []
    for e in evaluations:
        points = {s.item_id: s.points for s in e.scores.all()}
        rows.append(
            [
                e.rank,
                e.allocation.product.name,
                e.allocation.division.name,
                *[points.get(i.pk) for i in items],
                e.total,
            ]
        )
    return xlsx_response(
        filename=f"{round_.name}.xlsx",
        sheet_title="考评结果",
        headers=["排名", "产品", "实施地区", *[f"{i.name}（{i.points}）" for i in items], "总分"],
        rows=rows,
    )


@login_required
def evaluation_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    evaluation = selectors.evaluation_get_for_user(user=request.user, pk=pk)
    round_ = evaluation.round
    evaluator = is_evaluator(request.user, round_)
    context = {
        "evaluation": evaluation,
        "round": round_,
        "program": round_.program,
        "scores": evaluation.scores.all(),
        "count": round_.evaluations.count(),
        "evaluator": evaluator,
        "can_score": evaluator and round_.status == RoundStatus.DRAFT,
        "can_appeal": round_.status == RoundStatus.PUBLISHED
        and can_appeal(request.user, evaluation),
        "can_decide": evaluator and round_.status == RoundStatus.PUBLISHED,
        "manual": ItemMethod.MANUAL,
        "pending": AppealStatus.PENDING,
        "score_form": ScoreForm(),
        "appeal_form": AppealForm(),
        "decision_form": DecisionForm(),
    }
    return render(request, "evaluation/evaluation_detail.html", context)


def _form_errors(form: object) -> str:
    errors = getattr(form, "errors", {})
    return "；".join(str(e) for field_errors in errors.values() for e in field_errors)


def _submit(request: AuthedRequest, form: Form, action: Callable[..., object], done: str) -> None:
    """A one-form POST: the form's errors, the service's refusal or `done`, as a message."""
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return
    try:
        action(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@require_POST
@login_required
def score_enter(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    score = selectors.score_get_for_user(user=request.user, pk=pk)
    _submit(
        request,
        ScoreForm(request.POST),
        partial(services.score_enter, score=score),
        f"“{score.item.name}”已评分。",
    )
    return redirect("evaluation:evaluation-detail", pk=score.evaluation_id)


@require_POST
@login_required
def appeal_file(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    score = selectors.score_get_for_user(user=request.user, pk=pk)
    _submit(
        request,
        AppealForm(request.POST),
        partial(services.appeal_file, score=score),
        "申诉已提交，待考评单位处理。",
    )
    return redirect("evaluation:evaluation-detail", pk=score.evaluation_id)


@require_POST
@login_required
def appeal_decide(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    appeal = selectors.appeal_get_for_user(user=request.user, pk=pk)
    _submit(
        request,
        DecisionForm(request.POST),
        partial(services.appeal_decide, appeal=appeal),
        "申诉已处理。",
    )
    return redirect("evaluation:evaluation-detail", pk=appeal.score.evaluation_id)


@login_required
def appeal_list(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    status = request.GET.get("status", "")
    rows = selectors.appeal_list_for_user(user=request.user, status=status)
    context = {"params": request.GET, "statuses": AppealStatus.choices, **paginate(request, rows)}
    return render(request, "evaluation/appeal_list.html", context)


urlpatterns = [
    path("", round_list, name="home"),
    path("rounds/new/", round_create, name="round-create"),
    path("rounds/<int:pk>/", round_detail, name="round-detail"),
    path("rounds/<int:pk>/export/", round_export, name="round-export"),
    path("rounds/<int:pk>/<str:action>/", round_action, name="round-action"),
    path("evaluations/<int:pk>/", evaluation_detail, name="evaluation-detail"),
    path("scores/<int:pk>/", score_enter, name="score-enter"),
    path("scores/<int:pk>/appeal/", appeal_file, name="appeal-file"),
    path("appeals/", appeal_list, name="appeal-list"),
    path("appeals/<int:pk>/decide/", appeal_decide, name="appeal-decide"),
]
