"""Pages of label-use authorization (标志授权使用): list and Excel export, the application form,
the detail page with the actions its viewer may take now, and the public list of a product's
authorized users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.accounts.models import User
from dibiao.accounts.permissions import is_business_user
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.producers import authorization_selectors as selectors
from dibiao.producers.authorization_forms import (
    ApplicationForm,
    CountyReviewForm,
    HolderReviewForm,
    OptionalReasonForm,
    ReasonForm,
)
from dibiao.producers.authorization_permissions import available_actions, can_apply
from dibiao.producers.choices import AuthorizationStatus
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.services import authorizations as services

EXPORT_HEADERS = [
    "协议编号",
    "地理标志产品",
    "生产年度",
    "申请主体",
    "所在县",
    "申请标志数量（枚）",
    "授权标志数量（枚）",
    "使用范围",
    "有效期起",
    "有效期止",
    "状态",
    "今日有效",
    "申请时间",
    "状态变更时间",
    "暂停/撤销/驳回理由",
]


def _staff(request: HttpRequest) -> None:
    if not is_business_user(request.user):
        raise PermissionDenied


def _filters(request: HttpRequest) -> dict[str, Any]:
    params = request.GET
    status = params.get("status", "")
    year = parse_id(params.get("year", ""))
    return {
        "product": parse_id(params.get("product", "")),
        # A year is not an id: anything past four digits is ignored, like any unreadable filter.
        "year": year if year is not None and year < 10_000 else None,
        "status": status if status in AuthorizationStatus.values else "",
        "valid_on": timezone.localdate() if params.get("valid") == "1" else None,
        "q": params.get("q", "").strip()[:100],
    }


def _local(value: dt.datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _export_row(a: LabelAuthorization, today: dt.date) -> list[object]:
    return [
        a.number,
        a.product.name,
        a.year,
        a.producer.name,
        a.producer.division.name,
        a.requested_quantity,
        a.authorized_quantity,
        a.scope,
        a.valid_from,
        a.valid_until,
        a.get_status_display(),
        "是" if a.is_valid_on(today) else "否",
        _local(a.applied_at),
        _local(a.status_changed_at),
        a.status_reason,
    ]


@login_required
def authorization_list(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    rows = selectors.authorization_list_for_user(user=request.user, **_filters(request))
    context = {
        "params": request.GET,
        "statuses": AuthorizationStatus.choices,
        "years": selectors.authorization_years_for_user(user=request.user),
        "products": selectors.authorization_products_for_user(user=request.user),
        "can_apply": can_apply(request.user),
        "today": timezone.localdate(),
        **paginate(request, rows),
    }
    return render(request, "producers/authorization_list.html", context)


@login_required
def authorization_export(request: AuthedRequest) -> HttpResponseBase:
    _staff(request)
    rows = selectors.authorization_list_for_user(user=request.user, **_filters(request))
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="producers.labelauthorization",
        detail=f"导出标志使用授权 {rows.count()} 条；条件：{request.GET.urlencode() or '无'}",
    )
    today = timezone.localdate()
    return xlsx_response(
        filename="标志使用授权",
        sheet_title="标志使用授权",
        headers=EXPORT_HEADERS,
        rows=(_export_row(a, today) for a in rows.iterator(chunk_size=500)),
    )


@login_required
def authorization_apply(request: AuthedRequest) -> HttpResponseBase:
    if not can_apply(request.user):
        raise PermissionDenied
    producers = selectors.applicant_choices_for_user(user=request.user)
    form = ApplicationForm(
        request.POST or None,
        producers=producers,
        products=selectors.applicable_products(producers=producers),
    )
    if request.method == "POST" and form.is_valid():
        try:
            authorization = services.authorization_apply(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已提交“{authorization.product.name}”标志使用申请。")
            return redirect("producers:authorization-detail", pk=authorization.pk)
    context = {"form": form, "has_producers": producers.exists()}
    return render(request, "producers/authorization_form.html", context)


@login_required
def authorization_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _staff(request)
    authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
    context = {
        "a": authorization,
        "actions": available_actions(request.user, authorization),
        "valid_today": authorization.is_valid_today,
        "holder_form": HolderReviewForm(),
        "county_form": CountyReviewForm(
            initial={
                "authorized_quantity": authorization.requested_quantity,
                "scope": authorization.scope,
            }
        ),
        "reason_form": ReasonForm(),
        "note_form": OptionalReasonForm(),
    }
    return render(request, "producers/authorization_detail.html", context)


def _act(
    request: AuthedRequest,
    pk: int,
    form_class: type[Any],
    act: Callable[[User, LabelAuthorization, dict[str, Any]], LabelAuthorization],
) -> HttpResponseBase:
    """Parse the action's form, call its service, come back to the detail page with the
    outcome as a flash message (the service is the one that decides who may do what)."""
    _staff(request)
    authorization = selectors.authorization_get_for_user(user=request.user, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
    else:
        try:
            authorization = act(request.user, authorization, form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"授权状态：{authorization.get_status_display()}。")
    return redirect("producers:authorization-detail", pk=pk)


@require_POST
@login_required
def authorization_holder_review(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        HolderReviewForm,
        lambda actor, a, data: services.authorization_holder_review(
            actor=actor, authorization=a, **data
        ),
    )


@require_POST
@login_required
def authorization_county_review(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        CountyReviewForm,
        lambda actor, a, data: services.authorization_county_review(
            actor=actor, authorization=a, **data
        ),
    )


_SUPERVISION: dict[str, tuple[type[Any], Callable[..., LabelAuthorization]]] = {
    "suspend": (ReasonForm, services.authorization_suspend),
    "resume": (OptionalReasonForm, services.authorization_resume),
    "revoke": (ReasonForm, services.authorization_revoke),
    "withdraw": (OptionalReasonForm, services.authorization_withdraw),
}


@require_POST
@login_required
def authorization_status(request: AuthedRequest, pk: int, action: str) -> HttpResponseBase:
    """暂停 / 恢复 / 撤销 (county or province) and 撤回 (the applicant)."""
    form_class, service = _SUPERVISION[action]
    return _act(
        request,
        pk,
        form_class,
        lambda actor, a, data: service(actor=actor, authorization=a, reason=data["reason"]),
    )


def public_authorized_list(request: HttpRequest, product_id: int) -> HttpResponseBase:
    """公开: who may use the product's label today. No login, no personal data."""
    product = selectors.public_product(pk=product_id)
    rows = selectors.authorization_list_public(product=product)
    context = {"product": product, "today": timezone.localdate(), **paginate(request, rows)}
    return render(request, "producers/public_authorized_list.html", context)


urlpatterns = [
    path("authorizations/", authorization_list, name="authorization-list"),
    path("authorizations/export/", authorization_export, name="authorization-export"),
    path("authorizations/apply/", authorization_apply, name="authorization-apply"),
    path("authorizations/<int:pk>/", authorization_detail, name="authorization-detail"),
    path(
        "authorizations/<int:pk>/holder-review/",
        authorization_holder_review,
        name="authorization-holder-review",
    ),
    path(
        "authorizations/<int:pk>/county-review/",
        authorization_county_review,
        name="authorization-county-review",
    ),
    *(
        path(
            f"authorizations/<int:pk>/{action}/",
            authorization_status,
            {"action": action},
            name=f"authorization-{action}",
        )
        for action in _SUPERVISION
    ),
    path(
        "public/products/<int:product_id>/authorized/",
        public_authorized_list,
        name="public-authorized-list",
    ),
]
