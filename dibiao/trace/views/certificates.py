"""Pages of the 承诺达标合格证: list, issue (for one batch), detail with void, the PDF label,
and the public certificate page that the QR code opens (no login)."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError, NotFoundError
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.core.uploads import file_response
from dibiao.ledger.selectors import record_mark
from dibiao.trace.certificate_forms import (
    CertificateFilterForm,
    CertificateIssueForm,
    CertificateVoidForm,
)
from dibiao.trace.certificate_pdf import certificate_pdf_filename, write_certificate_pdf
from dibiao.trace.choices import CertificateBasis, CertificateStatus
from dibiao.trace.models import Batch, ComplianceCertificate
from dibiao.trace.permissions.certificates import (
    can_issue_certificate_for,
    can_issue_certificates,
    can_view_certificates,
    can_void_certificate_for,
)
from dibiao.trace.selectors import certificates as selectors
from dibiao.trace.services import certificates as services
from dibiao.trace.services.batches import failed_reasons


def _reader(request: HttpRequest) -> None:
    if not can_view_certificates(request.user):
        raise PermissionDenied


def _content(certificate: ComplianceCertificate) -> dict[str, Any]:
    """What staff and public pages both show: the commitment, the basis boxes and where the
    certificate's latest leaf is in the ledger."""
    return {
        "certificate": certificate,
        "title": services.CERTIFICATE_TITLE,
        "commitment_heading": services.COMMITMENT_HEADING,
        "commitment_items": services.COMMITMENT_ITEMS,
        "bases": [
            (value, label, value == certificate.basis) for value, label in CertificateBasis.choices
        ],
        "voided": certificate.status == CertificateStatus.VOIDED,
        "ledger": record_mark(certificate),
    }


@login_required
def certificate_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    q, status, batch_id = CertificateFilterForm(request.GET).values()
    rows = selectors.certificate_list_for_user(
        user=request.user, q=q, status=status, batch_id=batch_id
    )
    context = {
        "params": request.GET,
        "statuses": CertificateStatus.choices,
        "can_issue": can_issue_certificates(request.user),
        **paginate(request, rows),
    }
    return render(request, "trace/certificate_list.html", context)


def _batch_for_issue(request: AuthedRequest) -> Batch | None:
    raw = request.GET.get("batch", "").strip()
    if not raw:
        return None
    pk = parse_id(raw)
    if pk is None:
        raise NotFoundError("未找到该批次。")
    return selectors.export_batch_get_for_user(user=request.user, pk=pk)


@login_required
def certificate_issue(request: AuthedRequest) -> HttpResponseBase:
    if not can_issue_certificates(request.user):
        raise PermissionDenied
    batch = _batch_for_issue(request)
    if batch is None:
        choices = selectors.certificate_batch_choices(user=request.user)
        return render(request, "trace/certificate_pick_batch.html", paginate(request, choices))
    if not can_issue_certificate_for(request.user, batch.producer):
        raise PermissionDenied
    form = CertificateIssueForm(request.POST or None, batch=batch)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate = services.certificate_issue(
                actor=request.user,
                batch=batch,
                quantity=data["quantity"],
                basis=data["basis"],
                contact=data["contact"],
                test_report=data["test_report"],
                shipment=data["shipment"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已开具承诺达标合格证 {certificate.number}。")
            return redirect("trace:certificate-detail", certificate.pk)
    context = {
        "form": form,
        "batch": batch,
        "remaining": services.remaining_quantity(batch),
        "origin": services.origin_text(batch),
        "failed": failed_reasons(batch),
        "commitment_heading": services.COMMITMENT_HEADING,
        "commitment_items": services.COMMITMENT_ITEMS,
    }
    return render(request, "trace/certificate_form.html", context)


def _qr_data_uri(url: str) -> str:
    """The QR code as an SVG data URI for an <img> (escaped like any other attribute)."""
    return segno.make(url, error="m", micro=False).svg_data_uri(scale=3, border=2)


@login_required
def certificate_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
    url = services.certificate_public_url(
        certificate.number, origin=services.public_origin(request)
    )
    context = {
        **_content(certificate),
        "public_url": url,
        "qr_data_uri": _qr_data_uri(url),
        "can_void": certificate.status == CertificateStatus.ISSUED
        and can_void_certificate_for(request.user, certificate.producer),
        "void_form": CertificateVoidForm(),
        "warning": services.contact_warning(certificate.contact),
    }
    return render(request, "trace/certificate_detail.html", context)


@login_required
@require_POST
def certificate_void(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
    if not can_void_certificate_for(request.user, certificate.producer):
        raise PermissionDenied
    form = CertificateVoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写作废原因（不超过 500 字）。")
        return redirect("trace:certificate-detail", pk)
    try:
        services.certificate_void(
            actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"合格证 {certificate.number} 已作废。")
    return redirect("trace:certificate-detail", pk)


@login_required
@require_GET
def certificate_pdf(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    certificate = selectors.certificate_get_for_user(user=request.user, pk=pk)
    buffer = io.BytesIO()
    write_certificate_pdf(buffer, [certificate], origin=services.public_origin(request))
    buffer.seek(0)
    return file_response(
        buffer,
        filename=certificate_pdf_filename(certificate),
        content_type="application/pdf",
        attachment=request.GET.get("inline") != "1",
    )


@require_GET
def certificate_public(request: HttpRequest, number: str) -> HttpResponseBase:
    """The page the certificate's QR code opens: public, no login, minimal."""
    certificate = selectors.certificate_get_public(number=number)
    context = _content(certificate)
    response = render(request, "trace/certificate_public.html", context)
    # "正在记入账本" turns into an index within seconds: not kept by a proxy.
    pending = context["ledger"] is not None and context["ledger"]["pending"]
    response["Cache-Control"] = "no-cache" if pending else "public, max-age=300"
    return response


urlpatterns = [
    path("certificates/", certificate_list, name="certificate-list"),
    path("certificates/new/", certificate_issue, name="certificate-issue"),
    path("certificates/<int:pk>/", certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/void/", certificate_void, name="certificate-void"),
    path("certificates/<int:pk>/pdf/", certificate_pdf, name="certificate-pdf"),
]

public_urlpatterns = [
    path("c/<str:number>/", certificate_public, name="certificate-public"),
]
