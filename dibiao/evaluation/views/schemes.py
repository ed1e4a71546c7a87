"""Evaluation schemes (考评方案): read by every government user of the program, set by the
province."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.evaluation import selectors, services
from dibiao.evaluation.forms import ItemFormSet, SchemeForm
from dibiao.evaluation.indicators import BY_CODE
from dibiao.evaluation.models import EvaluationScheme
from dibiao.evaluation.permissions import can_manage_schemes, can_run_rounds
from dibiao.evaluation.views.common import government, selected_program


@login_required
def scheme_list(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    programs, program = selected_program(request)
    schemes = selectors.scheme_list_for_user(user=request.user, program=program) if program else []
    context = {
        "programs": programs,
        "program": program,
        "schemes": schemes,
        "can_manage": can_manage_schemes(request.user),
    }
    return render(request, "evaluation/scheme_list.html", context)


@login_required
def scheme_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    scheme = selectors.scheme_get_for_user(user=request.user, pk=pk)
    items = [
        (item, [BY_CODE[code] for code in item.indicators if code in BY_CODE])
        for item in scheme.items.all()
    ]
    context = {
        "scheme": scheme,
        "program": scheme.program,
        "items": items,
        "total": sum((item.points for item in scheme.items.all()), 0),
        "can_edit": can_manage_schemes(request.user) and not getattr(scheme, "round_count", 0),
        "can_run": can_run_rounds(request.user),
        "rounds": selectors.round_list_for_user(user=request.user).filter(scheme=scheme),
    }
    return render(request, "evaluation/scheme_detail.html", context)


@require_POST
@login_required
def scheme_create_default(request: AuthedRequest) -> HttpResponseBase:
    if not can_manage_schemes(request.user):
        raise PermissionDenied
    program = selected_program(request)[1]
    if program is None:
        raise Http404
    try:
        scheme = services.scheme_create_default(actor=request.user, program=program)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('evaluation:scheme-list')}?program={program.pk}")
    messages.success(request, "已按默认方案创建考评方案，可在使用前调整。")
    return redirect("evaluation:scheme-detail", pk=scheme.pk)


def _initial(scheme: EvaluationScheme) -> list[dict[str, Any]]:
    return [
        {
            "name": item.name,
            "points": item.points,
            "method": item.method,
            "rule": item.rule,
            "indicators": list(item.indicators),
            "guidance": item.guidance,
        }
        for item in scheme.items.all()
    ]


@login_required
def scheme_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    scheme = selectors.scheme_get_for_user(user=request.user, pk=pk)
    if not can_manage_schemes(request.user):
        raise PermissionDenied
    form = SchemeForm(request.POST or None, initial={"name": scheme.name, "notes": scheme.notes})
    formset = ItemFormSet(request.POST or None, initial=_initial(scheme), prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        items = [f.to_input() for f in formset.forms if f.has_changed() or f.initial]
        try:
            services.scheme_update(
                actor=request.user,
                scheme=scheme,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                items=[i for i in items if i is not None],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "考评方案已保存。")
            return redirect("evaluation:scheme-detail", pk=scheme.pk)
    context = {"scheme": scheme, "program": scheme.program, "form": form, "formset": formset}
    return render(request, "evaluation/scheme_form.html", context)


urlpatterns = [
    path("schemes/", scheme_list, name="scheme-list"),
    path("schemes/default/", scheme_create_default, name="scheme-create-default"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme-detail"),
    path("schemes/<int:pk>/edit/", scheme_edit, name="scheme-edit"),
]
