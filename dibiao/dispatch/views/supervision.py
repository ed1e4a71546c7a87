"""Pages of supervision (督导检查): visits, notices of criticism and their rectification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.dispatch import selectors, services
from dibiao.dispatch.choices import NoticeStatus
from dibiao.dispatch.forms import (
    InspectionForm,
    NoticeCloseForm,
    NoticeForm,
    NoticeReturnForm,
    RectifyForm,
)
from dibiao.dispatch.permissions import (
    can_supervise,
    can_verify_notice,
    can_view_dispatch,
    is_implementer,
)
from dibiao.projects.models import Program


def _government(request: AuthedRequest) -> None:
    if not can_view_dispatch(request.user):
        raise PermissionDenied


def _programs(request: AuthedRequest) -> tuple[list[Program], Program | None]:
    programs = list(selectors.supervision_programs_for_user(user=request.user))
    raw = request.GET.get("program", "")
    chosen = next((p for p in programs if str(p.pk) == raw), None)
    return programs, chosen or (programs[0] if programs else None)


@login_required
def supervision_home(request: AuthedRequest) -> HttpResponseBase:
    _government(request)
    programs, program = _programs(request)
    today = timezone.localdate()
    only_overdue = request.GET.get("overdue") == "1"
    status = request.GET.get("status", "")
    context: dict[str, object] = {
        "programs": programs,
        "program": program,
        "today": today,
        "supervisor": can_supervise(request.user),
        "statuses": NoticeStatus.choices,
        "params": request.GET,
        "notices": [],
        "visits": [],
    }
    if program is not None:
        context["notices"] = selectors.notice_list_for_user(
            user=request.user,
            program=program,
            status=status,
            overdue_on=today if only_overdue else None,
        )
        context["visits"] = selectors.inspection_list_for_user(user=request.user, program=program)
        context["overdue_count"] = selectors.notice_list_for_user(
            user=request.user, program=program, overdue_on=today
        ).count()
    return render(request, "dispatch/supervision_home.html", context)


def _program_for_form(request: AuthedRequest) -> Program:
    if not can_supervise(request.user):
        raise PermissionDenied
    program = _programs(request)[1]
    if program is None:
        raise Http404
    return program


@login_required
def inspection_create(request: AuthedRequest) -> HttpResponseBase:
    program = _program_for_form(request)
    divisions = selectors.implementing_divisions_for_user(user=request.user, program=program)
    form = InspectionForm(request.POST or None, divisions=divisions)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.inspection_record(
                actor=request.user, program=program, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "督导检查已登记。")
            return redirect("dispatch:inspection-detail", pk=visit.pk)
    context = {"form": form, "program": program, "title": "登记督导检查"}
    return render(request, "dispatch/supervision_form.html", context)


@login_required
def inspection_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    visit = selectors.inspection_get_for_user(user=request.user, pk=pk)
    notices = selectors.notice_list_for_user(user=request.user).filter(inspection=visit)
    context = {"visit": visit, "notices": notices, "supervisor": can_supervise(request.user)}
    return render(request, "dispatch/inspection_detail.html", context)


@login_required
def notice_create(request: AuthedRequest) -> HttpResponseBase:
    program = _program_for_form(request)
    form = NoticeForm(
        request.POST or None,
        divisions=selectors.implementing_divisions_for_user(user=request.user, program=program),
        inspections=selectors.inspection_list_for_user(user=request.user, program=program),
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_issue(actor=request.user, program=program, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "通报已发出。")
            return redirect("dispatch:notice-detail", pk=notice.pk)
    context = {"form": form, "program": program, "title": "发出通报（限期改正）"}
    return render(request, "dispatch/supervision_form.html", context)


@login_required
def notice_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _government(request)
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    verifier = can_verify_notice(request.user, notice) and notice.rectified_by_id != request.user.pk
    context = {
        "notice": notice,
        "today": timezone.localdate(),
        "can_rectify": notice.status == NoticeStatus.OPEN
        and is_implementer(request.user, notice.division),
        "can_verify": notice.status == NoticeStatus.RECTIFIED and verifier,
        "rectify_form": RectifyForm(),
        "close_form": NoticeCloseForm(),
        "return_form": NoticeReturnForm(),
    }
    return render(request, "dispatch/notice_detail.html", context)


@require_POST
@login_required
def notice_action(request: AuthedRequest, pk: int, action: str) -> HttpResponseBase:
    _government(request)
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    form_class = {"rectify": RectifyForm, "close": NoticeCloseForm, "return": NoticeReturnForm}
    if action not in form_class:
        raise Http404
    form = form_class[action](request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("dispatch:notice-detail", pk=pk)
    try:
        if action == "rectify":
            services.notice_rectify(actor=request.user, notice=notice, **form.cleaned_data)
            done = "整改情况已报送，待验收。"
        elif action == "close":
            services.notice_close(actor=request.user, notice=notice, **form.cleaned_data)
            done = "已验收销号。"
        else:
            services.notice_return(actor=request.user, notice=notice, **form.cleaned_data)
            done = "已退回，继续整改。"
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("dispatch:notice-detail", pk=pk)
