"""The dashboards (驾驶舱): a program's figures for the province, a city or a county in the
user's scope, drawn with ECharts from the page's JSON; every chart element and figure links
to the records behind it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.core.params import parse_id
from dibiao.evaluation.forms import parse_as_of
from dibiao.evaluation.views.common import government, selected_program
from dibiao.reports.dashboard import Level, dashboard_for_user


@login_required
def dashboard(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    programs, program = selected_program(request)
    context: dict[str, object] = {"programs": programs, "program": program}
    if program is not None:
        as_of = parse_as_of(request.GET.get("as_of"), program.year)
        board = dashboard_for_user(
            user=request.user,
            program=program,
            region_id=parse_id(request.GET.get("region")),
            as_of=as_of,
        )
        context.update(
            {
                "board": board,
                "as_of": as_of,
                "levels": Level.LABELS,
                "charts": board.charts,
            }
        )
    return render(request, "reports/dashboard.html", context)


urlpatterns = [path("dashboard/", dashboard, name="dashboard")]
