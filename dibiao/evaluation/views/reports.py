"""The reports page: the annual and quarterly summaries (Word) and the monthly dispatch table
(Excel) of a program, for the products in the user's scope. Generated synchronously on download
(a few grouped queries per indicator whatever the number of products; no job model)."""

from __future__ import annotations

import io
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.excel import XLSX_CONTENT_TYPE
from dibiao.core.models import Division
from dibiao.core.params import parse_id
from dibiao.dispatch.exports import DOCX_CONTENT_TYPE
from dibiao.evaluation import reports, selectors
from dibiao.evaluation.views.common import government, selected_program
from dibiao.projects.models import Allocation, Program

KINDS = {
    "annual": "年度总结（Word）",
    "quarterly": "季度小结（Word）",
    "dispatch": "月度调度表（Excel）",
}


def _region(
    request: AuthedRequest, program: Program
) -> tuple[Division | None, list[Allocation] | None]:
    """The whole program for a provincial user; else the top division of the user's scope and
    the allocations the user may see."""
    scope = scope_for(request.user)
    if program.province_id in scope.division_ids:
        return None, None
    allocations = list(selectors.indicator_allocations_for_user(user=request.user, program=program))
    top = min(
        Division.objects.filter(pk__in=scope.division_ids), key=lambda d: len(d.path), default=None
    )
    return top, allocations


def _download(data: bytes, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(io.BytesIO(data), content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def report_page(request: AuthedRequest) -> HttpResponseBase:
    government(request)
    programs, program = selected_program(request)
    kind = request.GET.get("kind", "")
    if program is None or kind not in KINDS:
        context = {"programs": programs, "program": program, "kinds": KINDS}
        return render(request, "evaluation/reports.html", context)
    # Out-of-range numbers (quarter 5, month 13) reach the builders, whose coded error the
    # middleware shows as a 400 page with its message.
    number = parse_id(request.GET.get("quarter" if kind == "quarterly" else "month")) or 0
    division, allocations = _region(request, program)
    if kind == "dispatch":
        data = reports.dispatch_table_xlsx(program, month=number, user=request.user)
        filename, content_type = f"{program.year}年{number}月进展调度表.xlsx", XLSX_CONTENT_TYPE
    elif kind == "quarterly":
        data = reports.quarterly_summary_docx(
            program, quarter=number, division=division, allocations=allocations
        )
        filename, content_type = f"{program.year}年第{number}季度工作小结.docx", DOCX_CONTENT_TYPE
    else:
        data = reports.annual_summary_docx(program, division=division, allocations=allocations)
        filename, content_type = f"{program.year}年度工作总结.docx", DOCX_CONTENT_TYPE
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        obj=program,
        detail=f"导出{filename}",
    )
    return _download(data, filename, content_type)


urlpatterns = [path("reports/", report_page, name="reports")]
