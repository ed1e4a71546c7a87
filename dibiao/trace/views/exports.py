"""The trace export page: batches in scope, each with its EPCIS 2.0 and national-platform
(NY/T 4712-2025) downloads and the submission to the national platform."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.core.uploads import clean_filename
from dibiao.trace.epcis import CONTENT_TYPE
from dibiao.trace.national import FIELD_TERMS, STANDARD
from dibiao.trace.permissions.certificates import can_export_trace, can_submit_national
from dibiao.trace.selectors import certificates as selectors
from dibiao.trace.services import exports
from dibiao.trace.services.certificates import public_origin


def _exporter(request: AuthedRequest) -> None:
    if not can_export_trace(request.user):
        raise PermissionDenied


def json_download(document: dict[str, Any], *, filename: str, content_type: str) -> HttpResponse:
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, clean_filename(filename))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def export_list(request: AuthedRequest) -> HttpResponseBase:
    _exporter(request)
    q = request.GET.get("q", "").strip()[:60]
    page = paginate(request, selectors.export_batch_list_for_user(user=request.user, q=q))
    rows = [
        (batch, can_submit_national(request.user, batch.producer)) for batch in page["object_list"]
    ]
    context = {"q": q, "rows": rows, "standard": STANDARD, "terms": FIELD_TERMS, **page}
    return render(request, "trace/export_list.html", context)


@login_required
@require_GET
def export_epcis(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _exporter(request)
    batch = selectors.export_batch_get_for_user(user=request.user, pk=pk)
    document = exports.batch_epcis_export(
        actor=request.user, batch=batch, origin=public_origin(request)
    )
    return json_download(
        document, filename=f"EPCIS-{batch.number}.jsonld", content_type=CONTENT_TYPE
    )


@login_required
@require_GET
def export_national(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _exporter(request)
    batch = selectors.export_batch_get_for_user(user=request.user, pk=pk)
    document = exports.batch_national_export(actor=request.user, batch=batch)
    return json_download(
        document, filename=f"国家追溯平台-{batch.number}.json", content_type="application/json"
    )


@login_required
@require_POST
def export_national_submit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _exporter(request)
    batch = selectors.export_batch_get_for_user(user=request.user, pk=pk)
    if not can_submit_national(request.user, batch.producer):
        raise PermissionDenied
    try:
        result = exports.batch_national_submit(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = f"批次 {batch.number}：{result.message or ('已接收' if result.accepted else '未接收')}（{result.reference}）"
        (messages.success if result.accepted else messages.warning)(request, text)
    return redirect("trace:export-list")


urlpatterns = [
    path("exports/", export_list, name="export-list"),
    path("exports/batches/<int:pk>/epcis/", export_epcis, name="export-epcis"),
    path("exports/batches/<int:pk>/national/", export_national, name="export-national"),
    path(
        "exports/batches/<int:pk>/national/submit/",
        export_national_submit,
        name="export-national-submit",
    ),
]
