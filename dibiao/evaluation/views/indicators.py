"""The indicator pages: a product × indicator table of the program, and one product's
indicators with their evidence."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.evaluation import selectors
from dibiao.evaluation.forms import parse_as_of
from dibiao.evaluation.indicators import CATALOGUE, program_targets
from dibiao.evaluation.views.common import government, selected_program


@login_required
def indicator_table(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    programs, program = selected_program(request)
    context: dict[str, object] = {"programs": programs, "program": program, "catalogue": CATALOGUE}
    if program is not None:
        as_of = parse_as_of(request.GET.get("as_of"), program.year)
        rows = selectors.indicator_table_for_user(user=request.user, program=program, as_of=as_of)
        targets = program_targets(program)
        context.update(
            {
                "as_of": as_of,
                "rows": rows,
                "targets": [(ind, targets[ind.code]) for ind in CATALOGUE],
            }
        )
    return render(request, "evaluation/indicator_table.html", context)


@login_required
def indicator_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    government(request)
    allocation = selectors.indicator_allocation_get_for_user(user=request.user, pk=pk)
    as_of = parse_as_of(request.GET.get("as_of"), allocation.program.year)
    row = selectors.indicators_for_product(allocation=allocation, as_of=as_of)
    context = {"allocation": allocation, "program": allocation.program, "row": row, "as_of": as_of}
    return render(request, "evaluation/indicator_detail.html", context)


urlpatterns = [
    path("indicators/", indicator_table, name="indicator-table"),
    path("indicators/<int:pk>/", indicator_detail, name="indicator-detail"),
]
