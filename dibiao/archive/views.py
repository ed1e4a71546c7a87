from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dibiao.accounts import permissions as perms
from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.selectors import division_list_for_user
from dibiao.archive import selectors, services
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.exports import archive_zip_for_product, document_response, zip_response
from dibiao.archive.forms import ATTACH_PREFIX, ArchiveUploadForm, ArchiveWithdrawForm
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.permissions import can_attach_archive, can_file_under
from dibiao.archive.targets import (
    filing_for,
    target_find_for_user,
    target_type_for,
    target_types,
)
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.registry.selectors import product_get_for_user

# Errors about the file itself are shown under the file field; the others above the form.
_FILE_ERRORS = frozenset({"empty_file", "file_too_large", "file_type_not_allowed", "invalid_image"})


def _staff(request: HttpRequest) -> None:
    if not perms.is_business_user(request.user):
        raise PermissionDenied


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date(value or "")
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        return None


def _archive_url(document: ArchiveDocument) -> str:
    return document.target_archive_url or reverse("archive:document-list")


@login_required
def document_list(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    params = request.GET
    types = target_types()
    target_type = params.get("target_type", "")
    documents = selectors.archive_list_for_user(
        user=request.user,
        target_type=target_type if target_type in {t.key for t in types} else "",
        category=params.get("category", ""),
        division=params.get("division", ""),
        date_from=_date(params.get("date_from")),
        date_to=_date(params.get("date_to")),
        q=params.get("q", "").strip(),
    )
    context = {
        "params": params,
        "categories": ArchiveCategory.choices,
        "target_types": types,
        "divisions": division_list_for_user(user=request.user),
        **paginate(request, documents),
    }
    return render(request, "archive/document_list.html", context)


def _attach(
    request: AuthedRequest, target: models.Model, form: ArchiveUploadForm
) -> ArchiveDocument | None:
    """The one upload path of the pages: file the form's upload on `target` where
    `filing_for` puts it. A refusal is added to the form (the file's own problems under the
    file field); another scope (404) and a role that may not attach (403) are raised."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        division, organization = filing_for(actor=request.user, target=target)
        document = services.archive_attach(
            actor=request.user,
            target=target,
            division=division,
            organization=organization,
            category=data["category"],
            document_date=data["document_date"],
            description=data["description"],
            upload=data["file"],
        )
    except DomainError as exc:
        if exc.status in (403, 404):
            raise
        form.add_error("file" if exc.code in _FILE_ERRORS else None, exc.message)
        return None
    messages.success(request, f"“{document.original_name}”已归档。")
    return document


@login_required
def product_archive(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = product_get_for_user(user=request.user, pk=pk)
    can_attach = can_attach_archive(request.user)
    form = ArchiveUploadForm()
    if request.method == "POST":
        if not can_attach:
            raise PermissionDenied
        form = ArchiveUploadForm(request.POST, request.FILES)
        if _attach(request, product, form) is not None:
            return redirect("archive:product-archive", pk=pk)
    show_withdrawn = request.GET.get("withdrawn") == "1"
    documents = selectors.archive_list_for_user(
        user=request.user, target=product, include_withdrawn=show_withdrawn
    )
    page = paginate(request, documents)
    withdrawable = {
        d.pk
        for d in page["object_list"]
        if not d.is_withdrawn
        and can_file_under(request.user, division=d.division, organization=d.organization)
    }
    context = {
        "product": product,
        "form": form,
        "can_attach": can_attach,
        "show_withdrawn": show_withdrawn,
        "withdrawable": withdrawable,
        "withdraw_form": ArchiveWithdrawForm(),
        **page,
    }
    return render(request, "archive/product_archive.html", context)


@login_required
def product_archive_zip(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    product = product_get_for_user(user=request.user, pk=pk)
    return zip_response(archive_zip_for_product(user=request.user, product=product))


@login_required
def document_download(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    return document_response(selectors.archive_get_for_user(user=request.user, pk=pk))


@require_POST
@login_required
def document_withdraw(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    document = selectors.archive_get_for_user(user=request.user, pk=pk)
    form = ArchiveWithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写撤回原因。")
    else:
        try:
            services.archive_withdraw(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{document.original_name}”已撤回，不再列入档案目录。")
    return redirect(_safe_next(request) or _archive_url(document))


def _safe_next(request: HttpRequest) -> str:
    """`next` from the form when it points into this site; anything else is ignored."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


def _form_errors(form: ArchiveUploadForm) -> str:
    parts: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.extend(f"{label}：{e}" if label else str(e) for e in errors)
    return "；".join(parts)


@require_POST
@login_required
def target_attach(request: AuthedRequest, target_type: str, target_id: int) -> HttpResponseBase:
    """Upload from any registered record's own page (the `archive_attachments` tag), then back
    to that page with a message: the list shows the new document, or the message says why the
    file was refused."""
    _staff(request)
    target = target_find_for_user(user=request.user, target_type=target_type, target_id=target_id)
    if target is None:
        raise Http404
    form = ArchiveUploadForm(request.POST, request.FILES, prefix=ATTACH_PREFIX)
    if _attach(request, target, form) is None:
        name = getattr(request.FILES.get(f"{ATTACH_PREFIX}-file"), "name", "")
        subject = f"“{name}”未能归档" if name else "未能归档"
        messages.error(request, f"{subject}：{_form_errors(form)}")
    fallback = target_type_for(target).archive_url
    return redirect(
        _safe_next(request) or (fallback(target) if fallback else reverse("archive:document-list"))
    )
