"""Pages of production logs (生产日志): list with filters and export, detail, the desktop form,
completing a planned log, and the phone-first quick page for producers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError
from dibiao.core.excel import xlsx_response
from dibiao.core.paging import paginate
from dibiao.producers.models import ProductionBase
from dibiao.production import selectors
from dibiao.production.choices import LogKind, LogStatus
from dibiao.production.forms import LogCompleteForm, LogFilterForm, LogForm
from dibiao.production.models import ProductionLog
from dibiao.production.permissions import can_keep_logs, can_view_production
from dibiao.production.services import logs as services

QUICK_RECENT = 20
EXPORT_HEADERS = [
    "时间",
    "日志类型",
    "状态",
    "主体",
    "基地",
    "产品",
    "事项",
    "操作人",
    "数量",
    "单位",
    "投入品类别",
    "投入品名称",
    "登记证号",
    "有效成分",
    "用量",
    "施用面积（亩）",
    "安全间隔期（天）",
    "最早可采收日期",
    "备注",
    "记录人",
]


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _filters(request: AuthedRequest) -> tuple[LogFilterForm, selectors.LogFilters]:
    form = LogFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    # An unparsable filter (a typed-in date, say) is ignored rather than failing the page.
    return form, selectors.LogFilters(
        base=data.get("base"),
        product=data.get("product"),
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        q=(data.get("q") or "").strip(),
    )


def _log_form(request: AuthedRequest, **kwargs: Any) -> LogForm:
    return LogForm(
        request.POST or None,
        bases=selectors.log_base_choices(user=request.user),
        products=selectors.log_product_choices(user=request.user),
        **kwargs,
    )


def _save(request: AuthedRequest, form: LogForm, log: ProductionLog | None) -> ProductionLog | None:
    """Run the service; a refusal is shown next to the field it concerns."""
    base: ProductionBase = form.cleaned_data["base"]
    try:
        if log is None:
            return services.log_create(actor=request.user, base=base, data=form.log_data())
        return services.log_update(actor=request.user, log=log, base=base, data=form.log_data())
    except DomainError as exc:
        field = getattr(exc, "field", None)
        form.add_error(field if field in form.fields else None, exc.message)
        return None


@login_required
def log_list(request: AuthedRequest) -> HttpResponseBase:
    _require(can_view_production(request.user))
    form, filters = _filters(request)
    rows = selectors.log_list_for_user(user=request.user, filters=filters)
    context = {
        "filter_form": form,
        "params": request.GET,
        "kinds": LogKind.choices,
        "statuses": LogStatus.choices,
        "can_keep": can_keep_logs(request.user),
        **selectors.log_filter_options(user=request.user),
        **paginate(request, rows),
    }
    return render(request, "production/log_list.html", context)


def _export_row(log: ProductionLog) -> list[object]:
    return [
        f"{timezone.localtime(log.occurred_at):%Y-%m-%d %H:%M}",
        log.get_kind_display(),
        log.get_status_display(),
        log.base.producer.name,
        log.base.name,
        log.product.name,
        log.title,
        log.operator,
        log.quantity,
        log.unit,
        log.get_input_category_display() if log.input_category else "",
        log.input_name,
        log.registration_number,
        log.active_ingredient,
        log.dose,
        log.applied_area_mu,
        log.safety_interval_days,
        log.harvest_allowed_from,
        log.notes,
        str(log.recorded_by or ""),
    ]


@login_required
def log_export(request: AuthedRequest) -> HttpResponseBase:
    _require(can_view_production(request.user))
    _, filters = _filters(request)
    rows = selectors.log_list_for_user(user=request.user, filters=filters)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="production.productionlog",
        detail=f"导出生产日志 {rows.count()} 条；条件：{request.GET.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="生产日志",
        sheet_title="生产日志",
        headers=EXPORT_HEADERS,
        rows=(_export_row(log) for log in rows.iterator(chunk_size=500)),
    )


@login_required
def log_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_view_production(request.user))
    log = selectors.log_get_for_user(user=request.user, pk=pk)
    context = {
        "log": log,
        "can_keep": can_keep_logs(request.user),
        "complete_form": LogCompleteForm(),
    }
    return render(request, "production/log_detail.html", context)


@login_required
def log_create(request: AuthedRequest) -> HttpResponseBase:
    _require(can_keep_logs(request.user))
    initial = {"operator": str(request.user), "base": request.GET.get("base")}
    form = _log_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        log = _save(request, form, None)
        if log is not None:
            messages.success(request, f"已记录“{log.title}”。")
            return redirect("production:log-detail", pk=log.pk)
    return render(request, "production/log_form.html", {"form": form, "log": None})


@login_required
def log_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_logs(request.user))
    log = selectors.log_get_for_user(user=request.user, pk=pk)
    initial = {name: getattr(log, name) for name in services.LOG_FIELDS}
    form = _log_form(request, initial={**initial, "base": log.base_id})
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, log)
        if saved is not None:
            messages.success(request, "日志已保存。")
            return redirect("production:log-detail", pk=log.pk)
    return render(request, "production/log_form.html", {"form": form, "log": log})


@require_POST
@login_required
def log_complete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_keep_logs(request.user))
    log = selectors.log_get_for_user(user=request.user, pk=pk)
    form = LogCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的完成时间。")
    else:
        try:
            services.log_complete(
                actor=request.user, log=log, occurred_at=form.cleaned_data["occurred_at"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "日志已标记为已完成。")
    return redirect("production:log-detail", pk=pk)


def _first_error(form: LogForm) -> str:
    return next((str(e) for errors in form.errors.values() for e in errors), "")


@login_required
def log_quick(request: AuthedRequest) -> HttpResponseBase:
    """The phone page: one column, the fields the chosen kind needs, the last 20 logs below.
    After saving it comes back with the same base chosen, for the next log on that base."""
    _require(can_keep_logs(request.user))
    bases = selectors.log_base_choices(user=request.user)
    ids = [b.pk for b in bases]
    wanted = request.GET.get("base", "")
    chosen = int(wanted) if wanted.isdigit() and int(wanted) in ids else None
    initial = {"operator": str(request.user), "base": ids[0] if len(ids) == 1 else chosen}
    form = LogForm(request.POST or None, bases=bases, initial=initial)
    if request.method == "POST" and form.is_valid():
        log = _save(request, form, None)
        if log is not None:
            kind = log.get_kind_display()
            label = log.title if log.title == kind else f"{log.title}（{kind}）"
            messages.success(request, f"已保存：{label}")
            return redirect(f"{reverse('production:log-quick')}?base={log.base_id}")
    context = {
        "form": form,
        "first_error": _first_error(form) if form.is_bound else "",
        "has_bases": bool(ids),
        "recent": selectors.log_list_for_user(user=request.user)[:QUICK_RECENT],
    }
    return render(request, "production/log_quick.html", context)


urlpatterns = [
    path("logs/", log_list, name="log-list"),
    path("logs/export/", log_export, name="log-export"),
    path("logs/new/", log_create, name="log-create"),
    path("logs/quick/", log_quick, name="log-quick"),
    path("logs/<int:pk>/", log_detail, name="log-detail"),
    path("logs/<int:pk>/edit/", log_edit, name="log-edit"),
    path("logs/<int:pk>/complete/", log_complete, name="log-complete"),
]
