"""Pages of the report jobs (报表任务), under /reports/: the report form (program, report,
period, format → a job, then its page), the list of the jobs the user may see, and the job
page with its progress (htmx polls it while the job runs) and the download when done."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.core.uploads import file_response
from dibiao.evaluation.selectors import evaluation_programs_for_user
from dibiao.reports import selectors, services
from dibiao.reports.choices import ReportFormat, ReportJobKind
from dibiao.reports.permissions import can_use_reports

QUARTERS = range(1, 5)
MONTHS = range(1, 13)


def _reader(request: HttpRequest) -> None:
    if not can_use_reports(request.user):
        raise PermissionDenied


def _form_context(request: AuthedRequest, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "programs": list(evaluation_programs_for_user(user=request.user)),
        "kinds": ReportJobKind.choices,
        "formats": ReportFormat.choices,
        "quarters": QUARTERS,
        "months": MONTHS,
        "values": values,
    }


@login_required
def job_create(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    if request.method != "POST":
        values = {"program": parse_id(request.GET.get("program")), "kind": "annual"}
        return render(request, "reports/job_form.html", _form_context(request, values))
    post = request.POST
    program, kind, format = (
        parse_id(post.get("program")),
        post.get("kind", ""),
        post.get("format", ""),
    )
    quarter, month = parse_id(post.get("quarter")), parse_id(post.get("month"))
    values = {
        "program": program,
        "kind": kind,
        "format": format,
        "quarter": quarter,
        "month": month,
    }
    try:
        job = services.report_job_create(
            actor=request.user,
            program_id=program or 0,
            kind=kind,
            period=quarter if kind == ReportJobKind.QUARTERLY else month,
            format=format,
        )
    except DomainError as exc:
        context = {**_form_context(request, values), "error": exc.message}
        return render(request, "reports/job_form.html", context, status=exc.status)
    messages.success(request, "已提交报表任务，生成后可在本页下载。")
    return redirect("reports:job-detail", pk=job.pk)


@login_required
def job_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    rows = selectors.report_job_list_for_user(user=request.user)
    return render(request, "reports/job_list.html", paginate(request, rows))


@login_required
def job_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    job = selectors.report_job_get_for_user(user=request.user, pk=pk)
    return render(request, "reports/job_detail.html", {"job": job})


@login_required
def job_progress(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The progress box alone (htmx polls it every two seconds while the job runs)."""
    _reader(request)
    job = selectors.report_job_get_for_user(user=request.user, pk=pk)
    return render(request, "reports/_job_progress.html", {"job": job})


@login_required
def job_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    job = selectors.report_job_get_for_user(user=request.user, pk=pk)
    try:
        opened = services.report_job_open(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reports:job-detail", pk=pk)
    return file_response(opened.handle, filename=opened.filename, content_type=opened.content_type)


urlpatterns: list[URLPattern] = [
    path("jobs/", job_list, name="job-list"),
    path("jobs/new/", job_create, name="job-create"),
    path("jobs/<int:pk>/", job_detail, name="job-detail"),
    path("jobs/<int:pk>/progress/", job_progress, name="job-progress"),
    path("jobs/<int:pk>/download/", job_download, name="job-download"),
]
