"""Pages of label codes (一物一码): the issuance list, the issuance form (authorized / issued /
remaining of each agreement), the issuance page (ranges and their states, bind and void forms,
label files with their progress) and the label-job page with its download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.choices import JobStatus
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.core.uploads import file_response
from dibiao.trace.code_forms import BindForm, IssuanceForm, LabelJobForm, VoidForm
from dibiao.trace.models import CodeIssuance
from dibiao.trace.permissions.codes import (
    can_make_labels,
    can_view_codes,
    issuance_actions,
    may_issue_codes,
)
from dibiao.trace.selectors import codes as selectors
from dibiao.trace.services import codes as services
from dibiao.trace.services import jobs

SEGMENTS_PER_PAGE = 50
RECENT_JOBS = 20


def _reader(request: HttpRequest) -> None:
    if not can_view_codes(request.user):
        raise PermissionDenied


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def issuance_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    params = request.GET
    rows = selectors.issuance_list_for_user(
        user=request.user,
        q=params.get("q", "").strip()[:60],
        product=parse_id(params.get("product", "")),
        authorization=parse_id(params.get("authorization", "")),
    )
    context = {
        "params": params,
        "products": selectors.issuance_products_for_user(user=request.user),
        "can_issue": may_issue_codes(request.user),
        **paginate(request, rows),
    }
    return render(request, "trace/code_issuance_list.html", context)


@login_required
def issuance_create(request: AuthedRequest) -> HttpResponseBase:
    if not may_issue_codes(request.user):
        raise PermissionDenied
    authorizations = selectors.issuable_authorizations_for_user(user=request.user)
    initial = {"authorization": parse_id(request.GET.get("authorization", ""))}
    form = IssuanceForm(request.POST or None, initial=initial, authorizations=authorizations)
    if request.method == "POST" and form.is_valid():
        try:
            issuance = services.issuance_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已发放标签码 {issuance.count:,} 枚（{issuance.number}）。")
            return redirect("trace:issuance-detail", pk=issuance.pk)
    context = {"form": form, "authorizations": authorizations}
    return render(request, "trace/code_issuance_form.html", context)


@login_required
def issuance_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
    actions = issuance_actions(request.user, issuance)
    whole = {"first_serial": issuance.first_serial, "last_serial": issuance.last_serial}
    batches = selectors.bindable_batches_for_user(user=request.user, issuance=issuance)
    context = {
        "issuance": issuance,
        "actions": actions,
        "totals": selectors.issuance_state_totals(issuance=issuance),
        "quota": selectors.authorization_quota(authorization=issuance.authorization),
        "jobs": selectors.label_job_list_for_user(user=request.user, issuance=pk)[:RECENT_JOBS],
        "bind_form": BindForm(initial=whole, batches=batches) if "bind" in actions else None,
        "void_form": VoidForm(initial=whole) if "void" in actions else None,
        "job_form": LabelJobForm(initial=whole) if "labels" in actions else None,
        **paginate(
            request, selectors.issuance_segments(issuance=issuance), per_page=SEGMENTS_PER_PAGE
        ),
    }
    return render(request, "trace/code_issuance_detail.html", context)


def _act(
    request: AuthedRequest,
    pk: int,
    make_form: Callable[[CodeIssuance], Any],
    act: Callable[[CodeIssuance, dict[str, Any]], str],
) -> HttpResponseBase:
    """Parse the action's form, call its service, come back to the issuance page with the
    outcome as a flash message (the service decides who may do what)."""
    _reader(request)
    issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
    form = make_form(issuance)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, "；".join(errors))
        return redirect("trace:issuance-detail", pk=pk)
    try:
        outcome = act(issuance, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("trace:issuance-detail", pk=pk)
    messages.success(request, outcome)
    return redirect("trace:issuance-detail", pk=pk)


@require_POST
@login_required
def issuance_bind(request: AuthedRequest, pk: int) -> HttpResponseBase:
    def bind(issuance: CodeIssuance, data: dict[str, Any]) -> str:
        services.codes_bind(actor=request.user, issuance=issuance, **data)
        count = data["last_serial"] - data["first_serial"] + 1
        return f"已将 {count:,} 枚标签码绑定到批次 {data['batch'].number}，扫码即显示该批次。"

    return _act(
        request,
        pk,
        lambda issuance: BindForm(
            request.POST,
            batches=selectors.bindable_batches_for_user(user=request.user, issuance=issuance),
        ),
        bind,
    )


@require_POST
@login_required
def issuance_void(request: AuthedRequest, pk: int) -> HttpResponseBase:
    def void(issuance: CodeIssuance, data: dict[str, Any]) -> str:
        services.codes_void(actor=request.user, issuance=issuance, **data)
        return f"已作废序号 {data['first_serial']}–{data['last_serial']}，扫码将显示“已作废”。"

    return _act(request, pk, lambda issuance: VoidForm(request.POST), void)


@require_POST
@login_required
def label_job_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    issuance = selectors.issuance_get_for_user(user=request.user, pk=pk)
    form = LabelJobForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for f in form.errors.values() for e in f))
        return redirect("trace:issuance-detail", pk=pk)
    try:
        job = jobs.label_job_create(
            actor=request.user, issuance=issuance, origin=_origin(request), **form.cleaned_data
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("trace:issuance-detail", pk=pk)
    messages.success(request, "已提交标签文件生成任务，完成后可在本页下载。")
    return redirect("trace:label-job-detail", pk=job.pk)


def _job_context(request: AuthedRequest, pk: int) -> dict[str, Any]:
    job = selectors.label_job_get_for_user(user=request.user, pk=pk)
    percent = int(job.done * 100 / job.total) if job.total else 100
    pending = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    can_download = can_make_labels(request.user, job.issuance)
    return {"job": job, "percent": percent, "pending": pending, "can_download": can_download}


@login_required
def label_job_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    return render(request, "trace/job_detail.html", _job_context(request, pk))


@login_required
def label_job_progress(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The progress box alone (htmx polls it every two seconds while the job runs)."""
    _reader(request)
    return render(request, "trace/job_progress.html", _job_context(request, pk))


@login_required
def label_job_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    job = selectors.label_job_get_for_user(user=request.user, pk=pk)
    try:
        opened = jobs.label_job_open(actor=request.user, job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("trace:label-job-detail", pk=pk)
    return file_response(opened.handle, filename=opened.filename, content_type=opened.content_type)


urlpatterns = [
    path("issuances/", issuance_list, name="issuance-list"),
    path("issuances/new/", issuance_create, name="issuance-create"),
    path("issuances/<int:pk>/", issuance_detail, name="issuance-detail"),
    path("issuances/<int:pk>/bind/", issuance_bind, name="issuance-bind"),
    path("issuances/<int:pk>/void/", issuance_void, name="issuance-void"),
    path("issuances/<int:pk>/labels/", label_job_create, name="label-job-create"),
    path("label-jobs/<int:pk>/", label_job_detail, name="label-job-detail"),
    path("label-jobs/<int:pk>/progress/", label_job_progress, name="label-job-progress"),
    path("label-jobs/<int:pk>/download/", label_job_download, name="label-job-download"),
]
