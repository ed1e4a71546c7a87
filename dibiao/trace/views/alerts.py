"""Pages of counterfeit alerts (防伪预警): the list with its Excel export, an alert with its
evidence and the recent scans of its code, closing it with a note; the province's thresholds."""

from __future__ import annotations

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
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.core.params import parse_id
from dibiao.trace.alert_forms import AlertCloseForm, TraceSettingsForm
from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.clients import AGENT_LABELS
from dibiao.trace.counterfeit import trace_settings
from dibiao.trace.models import CounterfeitAlert
from dibiao.trace.permissions.alerts import (
    can_close_alert,
    can_edit_trace_settings,
    can_view_alerts,
    can_view_trace_settings,
)
from dibiao.trace.selectors import alerts as selectors
from dibiao.trace.selectors.scans import scans_of_code
from dibiao.trace.services import alerts as services

EVIDENCE_LABELS: dict[str, str] = {
    "scans": "查询次数",
    "networks": "不同网络数",
    "threshold": "阈值",
    "first_at": "统计起点（首次查询）",
    "last_at": "最近一次",
    "distance_km": "两次查询相距（公里）",
    "minutes": "间隔（分钟）",
    "speed_kmh": "推算速度（公里/小时）",
    "threshold_kmh": "速度阈值（公里/小时）",
    "earlier_at": "前一次查询",
    "later_at": "后一次查询",
    "network": "网络（散列，非 IP）",
    "failures_in_hour": "一小时内校验失败次数",
    "window_start": "统计起点",
    "voided_at": "作废时间",
    "authorization": "授权协议编号",
    "batch": "批次号",
    "labels_bound": "批次已绑定标签（枚）",
    "labels_allowed": "批次可用标签上限（枚）",
    "batch_quantity": "批次数量",
    "unit": "单位",
    "labels_issued": "该授权已发放（枚）",
    "authorized_quantity": "授权数量（枚）",
    "repeats": "预警后再次触发（次）",
}
HIDDEN_EVIDENCE = frozenset({"authorization_id", "batch_id"})
EXPORT_HEADERS = [
    "预警时间",
    "类型",
    "状态",
    "行政区划",
    "经营主体",
    "产品",
    "追溯码",
    "证据",
    "处理时间",
    "处理人",
    "处理说明",
]


def _viewer(request: HttpRequest) -> None:
    if not can_view_alerts(request.user):
        raise PermissionDenied


def _filters(request: HttpRequest) -> dict[str, Any]:
    params = request.GET
    return {
        "kind": params.get("kind", ""),
        "status": params.get("status", ""),
        "product": parse_id(params.get("product", "")),
    }


def evidence_rows(alert: CounterfeitAlert) -> list[tuple[str, str]]:
    rows = []
    for key, value in alert.evidence.items():
        if key in HIDDEN_EVIDENCE:
            continue
        text = str(value)
        if key.endswith("_at") or key == "window_start":
            text = text.replace("T", " ")[:16]
        rows.append((EVIDENCE_LABELS.get(key, key), text))
    return rows


def _local(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _export_row(alert: CounterfeitAlert) -> list[object]:
    product = alert.issuance.product.name if alert.issuance else ""
    return [
        _local(alert.created_at),
        alert.get_kind_display(),
        alert.get_status_display(),
        alert.division.name,
        alert.producer.name if alert.producer else "",
        product,
        selectors.alert_code(alert),
        "；".join(f"{label}：{value}" for label, value in evidence_rows(alert)),
        _local(alert.closed_at),
        str(alert.closed_by or ""),
        alert.note,
    ]


@login_required
def alert_list(request: AuthedRequest) -> HttpResponseBase:
    _viewer(request)
    rows = selectors.alert_list_for_user(user=request.user, **_filters(request))
    context = {
        "params": request.GET,
        "kinds": AlertKind.choices,
        "statuses": AlertStatus.choices,
        "products": selectors.alert_products_for_user(user=request.user),
        **paginate(request, rows),
    }
    return render(request, "trace/alert_list.html", context)


@login_required
def alert_export(request: AuthedRequest) -> HttpResponseBase:
    _viewer(request)
    rows = selectors.alert_list_for_user(user=request.user, **_filters(request))
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="trace.counterfeitalert",
        detail=f"导出防伪预警 {rows.count()} 条；条件：{request.GET.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="防伪预警",
        sheet_title="防伪预警",
        headers=EXPORT_HEADERS,
        rows=(_export_row(a) for a in rows.iterator(chunk_size=500)),
    )


@login_required
def alert_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    alert = selectors.alert_get_for_user(user=request.user, pk=pk)
    _viewer(request)
    context = {
        "alert": alert,
        "code": selectors.alert_code(alert),
        "evidence": evidence_rows(alert),
        "scans": [
            (scan, AGENT_LABELS.get(scan.agent, scan.agent))
            for scan in (scans_of_code(serial=alert.serial) if alert.serial is not None else [])
        ],
        "can_close": alert.status == AlertStatus.OPEN and can_close_alert(request.user, alert),
        "close_form": AlertCloseForm(),
    }
    return render(request, "trace/alert_detail.html", context)


@require_POST
@login_required
def alert_close(request: AuthedRequest, pk: int) -> HttpResponseBase:
    alert = selectors.alert_get_for_user(user=request.user, pk=pk)
    _viewer(request)
    form = AlertCloseForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect("trace:alert-detail", pk=pk)
    try:
        services.alert_close(actor=request.user, alert=alert, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "预警已处理。")
    return redirect("trace:alert-detail", pk=pk)


def _settings_initial() -> dict[str, int]:
    current = trace_settings()
    return {name: getattr(current, name) for name in services.SETTINGS_FIELDS}


@login_required
def trace_settings_page(request: AuthedRequest) -> HttpResponseBase:
    if not can_view_trace_settings(request.user):
        raise PermissionDenied
    editable = can_edit_trace_settings(request.user)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    form = TraceSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=_settings_initial(),
        readonly=not editable,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.trace_settings_update(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "防伪预警阈值已保存，一分钟内对所有查询生效。")
            return redirect("trace:settings")
    context = {"form": form, "editable": editable, "current": trace_settings()}
    return render(request, "trace/alert_settings.html", context)


urlpatterns = [
    path("alerts/", alert_list, name="alert-list"),
    path("alerts/export/", alert_export, name="alert-export"),
    path("alerts/<int:pk>/", alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/close/", alert_close, name="alert-close"),
    path("alerts/settings/", trace_settings_page, name="settings"),
]
