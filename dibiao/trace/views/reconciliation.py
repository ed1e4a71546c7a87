"""Pages of the reconciliation of label-use authorizations (用标核对): the authorizations with
labels issued, and per authorization the labels issued against the authorized quantity, the
year's harvest and each batch they are bound to; the county or province runs the check that
turns over-labelling into alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.trace.permissions.alerts import can_run_reconciliation, can_view_reconciliation
from dibiao.trace.reconciliation import labels_per_kg, reconcile
from dibiao.trace.selectors import alerts as selectors
from dibiao.trace.services import alerts as services


def _year(raw: str) -> int | None:
    """A year is not an id: anything past four digits is ignored, like any unreadable filter."""
    year = parse_id(raw)
    return year if year is not None and year < 10_000 else None


def _viewer(request: HttpRequest) -> None:
    if not can_view_reconciliation(request.user):
        raise PermissionDenied


@login_required
def reconciliation_list(request: AuthedRequest) -> HttpResponseBase:
    _viewer(request)
    params = request.GET
    rows = selectors.reconciliation_list_for_user(
        user=request.user,
        year=_year(params.get("year", "")),
        product=parse_id(params.get("product", "")),
        q=params.get("q", "").strip()[:100],
    )
    context = {"params": params, **paginate(request, rows)}
    return render(request, "trace/alert_reconciliation_list.html", context)


@login_required
def reconciliation_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    authorization = selectors.reconciliation_get_for_user(user=request.user, pk=pk)
    _viewer(request)
    context = {
        "a": authorization,
        "report": reconcile(authorization),
        "labels_per_kg": labels_per_kg(),
        "alerts": selectors.over_labelling_alerts(user=request.user, authorization=authorization),
        "can_run": can_run_reconciliation(request.user),
    }
    return render(request, "trace/alert_reconciliation.html", context)


@require_POST
@login_required
def reconciliation_check(request: AuthedRequest, pk: int) -> HttpResponseBase:
    authorization = selectors.reconciliation_get_for_user(user=request.user, pk=pk)
    if not can_run_reconciliation(request.user):
        raise PermissionDenied
    raised = services.over_labelling_check(authorization=authorization)
    if raised:
        messages.warning(request, f"发现 {len(raised)} 个批次超量用标，已生成（或更新）防伪预警。")
    else:
        messages.success(request, "核对完成：没有超量用标的批次。")
    return redirect("trace:reconciliation-detail", pk=pk)


urlpatterns = [
    path("reconciliation/", reconciliation_list, name="reconciliation-list"),
    path("reconciliation/<int:pk>/", reconciliation_detail, name="reconciliation-detail"),
    path("reconciliation/<int:pk>/check/", reconciliation_check, name="reconciliation-check"),
]
