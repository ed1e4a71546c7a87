from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.core.request_context import current_client_ip
from dibiao.disclosure import permissions as perms
from dibiao.disclosure import selectors, services
from dibiao.disclosure.choices import NoticeKind, NoticePhase, NoticeStatus
from dibiao.disclosure.forms import (
    NoticeForm,
    NoticeSettleForm,
    NoticeWithdrawForm,
    ObjectionAnswerForm,
    ObjectionForm,
)
from dibiao.disclosure.models import Notice
from dibiao.registry.models import GIProduct

STAFF_PHASES = [
    (p.value, p.label) for p in (NoticePhase.UPCOMING, NoticePhase.OPEN, NoticePhase.ARCHIVED)
]


def _staff(request: HttpRequest) -> None:
    if not perms.can_read_notices(request.user):
        raise PermissionDenied


def _get(request: HttpRequest, pk: int) -> Notice:
    # Another scope's notice raises NotFoundError, which DomainErrorMiddleware makes a 404.
    return selectors.notice_get_for_user(user=request.user, pk=pk)


def _form_errors(form: NoticeWithdrawForm | NoticeSettleForm | ObjectionAnswerForm) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


@login_required
def notice_list(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    params = request.GET
    notices = selectors.notice_list_for_user(
        user=request.user,
        q=params.get("q", "").strip(),
        status=params.get("status", ""),
        kind=params.get("kind", ""),
        phase=params.get("phase", ""),
    )
    context = {
        "params": params,
        "statuses": NoticeStatus.choices,
        "kinds": NoticeKind.choices,
        "phases": STAFF_PHASES,
        "can_create": bool(perms.publishable_divisions(request.user)),
        **paginate(request, notices),
    }
    return render(request, "disclosure/notice_list.html", context)


@login_required
def notice_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponseBase:
    if not perms.can_publish_notices(request.user):
        raise PermissionDenied
    notice = _get(request, pk) if pk else None
    if notice is not None and not perms.can_manage_notice(request.user, notice):
        raise PermissionDenied
    if notice is not None and notice.status != NoticeStatus.DRAFT:
        messages.error(request, "只能修改草稿。")
        return redirect("disclosure:notice-detail", pk=notice.pk)
    divisions = perms.publishable_divisions(request.user) if notice is None else None
    if divisions is not None and not divisions:
        raise PermissionDenied
    form = NoticeForm(
        request.POST or None,
        instance=notice,
        divisions=divisions,
        products=GIProduct.objects.restrict(request.user).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "division"}
        try:
            saved = services.notice_save(
                actor=request.user,
                notice=notice,
                data=data,
                division=form.cleaned_data.get("division"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"公示“{saved.title}”已保存为草稿。")
            return redirect("disclosure:notice-detail", pk=saved.pk)
    return render(request, "disclosure/notice_form.html", {"form": form, "notice": notice})


@login_required
def notice_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    notice = _get(request, pk)
    status_filter = request.GET.get("objections", "")
    context = {
        "notice": notice,
        "phase": notice.phase(),
        "can_manage": perms.can_manage_notice(request.user, notice),
        "counts": selectors.objection_counts(notice=notice),
        "objections": selectors.objection_list_for_notice(notice=notice, status=status_filter),
        "objection_filter": status_filter,
        "withdraw_form": NoticeWithdrawForm(),
        "settle_form": NoticeSettleForm(),
        "answer_form": ObjectionAnswerForm(),
    }
    return render(request, "disclosure/notice_detail.html", context)


def _notice_action(request: AuthedRequest, pk: int, action: str) -> HttpResponseBase:
    notice = _get(request, pk)
    try:
        if action == "publish":
            services.notice_publish(actor=request.user, notice=notice)
            messages.success(request, "公示已发布。")
        elif action == "withdraw":
            withdraw = NoticeWithdrawForm(request.POST)
            if not withdraw.is_valid():
                messages.error(request, _form_errors(withdraw))
            else:
                services.notice_withdraw(
                    actor=request.user, notice=notice, reason=withdraw.cleaned_data["reason"]
                )
                messages.success(request, "公示已撤回。")
        else:
            settle = NoticeSettleForm(request.POST)
            if not settle.is_valid():
                messages.error(request, _form_errors(settle))
            else:
                services.notice_settle(
                    actor=request.user,
                    notice=notice,
                    settlement=settle.cleaned_data["settlement"],
                )
                messages.success(request, "异议处理结果已记录。")
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
    return redirect("disclosure:notice-detail", pk=pk)


@require_POST
@login_required
def notice_publish(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _notice_action(request, pk, "publish")


@require_POST
@login_required
def notice_withdraw(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _notice_action(request, pk, "withdraw")


@require_POST
@login_required
def notice_settle(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _notice_action(request, pk, "settle")


@require_POST
@login_required
def objection_answer(request: AuthedRequest, pk: int) -> HttpResponseBase:
    objection = selectors.objection_get_for_user(user=request.user, pk=pk)
    form = ObjectionAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
    else:
        try:
            services.objection_answer(
                actor=request.user, objection=objection, answer=form.cleaned_data["answer"]
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, "答复已保存。")
    return redirect("disclosure:notice-detail", pk=objection.notice_id)


@require_POST
@login_required
def objection_contact(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Shows one objector's contact in full; the look is audited. htmx swaps the answer into
    the row; without htmx it is a small page of its own."""
    objection = selectors.objection_get_for_user(user=request.user, pk=pk)
    contact = services.objection_contact_view(actor=request.user, objection=objection)
    context = {"objection": objection, "contact": contact}
    if request.headers.get("HX-Request"):
        response = render(request, "disclosure/_objection_contact.html", context)
    else:
        response = render(request, "disclosure/objection_contact.html", context)
    response["Cache-Control"] = "no-store"
    return response


# --- Public pages (no login) -----------------------------------------------------------------


def _public_list(request: HttpRequest, *, archived: bool) -> HttpResponseBase:
    notices = selectors.notice_list_public(archived=archived)
    context = {"archived": archived, **paginate(request, notices)}
    return render(request, "disclosure/public_notice_list.html", context)


def public_notice_list(request: HttpRequest) -> HttpResponseBase:
    return _public_list(request, archived=False)


def public_notice_archive(request: HttpRequest) -> HttpResponseBase:
    return _public_list(request, archived=True)


@require_http_methods(["GET", "POST"])
def public_notice_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    notice = selectors.notice_get_public(pk=pk)
    phase = notice.phase()
    form = ObjectionForm(request.POST or None) if phase == NoticePhase.OPEN else None
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, "该公示的公示期已结束，不再接受异议。")
            status = 409
        elif not form.is_valid():
            status = 400
        else:
            try:
                objection = services.objection_submit(
                    notice=notice, client_ip=current_client_ip(), **form.cleaned_data
                )
            except DomainError as exc:
                if exc.status == 404:
                    raise
                form.add_error(None, exc.message)
                status = exc.status
            else:
                return redirect("disclosure:public-objection-receipt", receipt=objection.receipt)
    context = {
        "notice": notice,
        "phase": phase,
        "form": form,
        "counts": selectors.objection_counts(notice=notice),
    }
    return render(request, "disclosure/public_notice_detail.html", context, status=status)


def public_objection_receipt(request: HttpRequest, receipt: str) -> HttpResponseBase:
    objection = selectors.objection_get_by_receipt(receipt=receipt)
    notice_public = (
        objection.notice.status == NoticeStatus.PUBLISHED
        and objection.notice.phase()
        in (
            NoticePhase.OPEN,
            NoticePhase.ARCHIVED,
        )
    )
    response = render(
        request,
        "disclosure/public_objection_receipt.html",
        {"objection": objection, "notice_public": notice_public},
    )
    # The link is the objector's key to the answer: not for caches or search engines.
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
