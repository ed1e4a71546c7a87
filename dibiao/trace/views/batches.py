"""Pages of batches (批次): list (filters, search, Excel export), create from harvest logs,
detail (lineage both ways, origins, timeline, tests, who received what), edit, link test
reports, release and recall."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
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
from dibiao.trace import lineage
from dibiao.trace.batch_forms import (
    BatchCreateForm,
    BatchEditForm,
    BatchFilterForm,
    BatchRecallForm,
    BatchReportsForm,
)
from dibiao.trace.choices import BatchStatus
from dibiao.trace.models import Batch
from dibiao.trace.permissions.batches import can_keep_batches, can_manage_batch, can_view_batches
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services import batches as services

EXPORT_HEADERS = [
    "批次号",
    "产品",
    "经营主体",
    "所在县",
    "基地",
    "数量",
    "剩余",
    "单位",
    "采收日期",
    "等级",
    "GTIN",
    "状态",
    "放行时间",
    "召回时间",
    "召回原因",
]


def _reader(request: AuthedRequest) -> None:
    if not can_view_batches(request.user):
        raise PermissionDenied


def _filtered(request: AuthedRequest) -> tuple[selectors.BatchFilters, Any]:
    filters = BatchFilterForm(request.GET).filters()
    return filters, selectors.batch_list_for_user(user=request.user, filters=filters)


@login_required
def batch_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    filters, rows = _filtered(request)
    context = {
        "params": request.GET,
        "filters": filters,
        "options": selectors.batch_filter_options(user=request.user),
        "can_create": can_keep_batches(request.user),
        **paginate(request, selectors.with_remaining(rows)),
    }
    return render(request, "trace/batch_list.html", context)


def _local(value: Any) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _export_row(batch: Batch) -> list[object]:
    return [
        batch.number,
        batch.product.name,
        batch.producer.name,
        batch.producer.division.name,
        batch.base.name if batch.base else "",
        batch.quantity,
        getattr(batch, "remaining", batch.quantity),
        batch.unit,
        batch.harvest_date,
        batch.grade.name if batch.grade else "",
        batch.gtin,
        batch.get_status_display(),
        _local(batch.released_at),
        _local(batch.recalled_at),
        batch.recall_reason,
    ]


@login_required
def batch_export(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    _, rows = _filtered(request)
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="trace.batch",
        detail=f"导出批次 {rows.count()} 个；条件：{request.GET.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="批次",
        sheet_title="批次",
        headers=EXPORT_HEADERS,
        rows=(_export_row(b) for b in selectors.with_remaining(rows).iterator(chunk_size=500)),
    )


@login_required
def batch_create(request: AuthedRequest) -> HttpResponseBase:
    if not can_keep_batches(request.user):
        raise PermissionDenied
    form = BatchCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            batch = services.batch_create(
                actor=request.user,
                harvest_logs=list(data["harvest_logs"]),
                quantity=data["quantity"],
                gtin=data["gtin"],
                notes=data["notes"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"批次 {batch.number} 已创建。")
            return redirect("trace:batch-detail", pk=batch.pk)
    return render(request, "trace/batch_form.html", {"form": form})


def _detail_context(request: AuthedRequest, batch: Batch) -> dict[str, Any]:
    up = lineage.batch_upstream(batch)
    down = lineage.batch_downstream(batch)
    can_manage = can_manage_batch(request.user, batch)
    remaining = selectors.batch_remaining(batch=batch)
    return {
        "batch": batch,
        "remaining": remaining,
        "upstream": up,
        "downstream": down,
        "linkable": selectors.batch_visible_ids(user=request.user, ids=[b.pk for b in up + down]),
        "origins": lineage.batch_origins(batch),
        "timeline": lineage.batch_timeline(batch),
        "recipients": lineage.recall_recipients(batch),
        "reports": selectors.batch_reports(batch=batch),
        "failed_reasons": services.failed_reasons(batch)
        if batch.status != BatchStatus.RECALLED
        else [],
        "can_manage": can_manage and batch.status != BatchStatus.RECALLED,
        "can_record_event": can_manage and batch.status != BatchStatus.RECALLED and remaining > 0,
        "reports_form": BatchReportsForm(batch=batch) if can_manage else None,
        "recall_form": BatchRecallForm(),
    }


@login_required
def batch_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    batch = selectors.batch_get_for_user(user=request.user, pk=pk)
    return render(request, "trace/batch_detail.html", _detail_context(request, batch))


def _managed(request: AuthedRequest, pk: int) -> Batch:
    _reader(request)
    batch = selectors.batch_get_for_user(user=request.user, pk=pk)
    if not can_manage_batch(request.user, batch):
        raise PermissionDenied
    return batch


@login_required
def batch_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    batch = _managed(request, pk)
    form = BatchEditForm(request.POST or None, initial={"gtin": batch.gtin, "notes": batch.notes})
    if request.method == "POST" and form.is_valid():
        try:
            services.batch_update(actor=request.user, batch=batch, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "批次信息已保存。")
            return redirect("trace:batch-detail", pk=pk)
    return render(request, "trace/batch_edit.html", {"form": form, "batch": batch})


@require_POST
@login_required
def batch_reports_link(request: AuthedRequest, pk: int) -> HttpResponseBase:
    batch = _managed(request, pk)
    form = BatchReportsForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, "所选检测报告无效，请重新选择。")
        return redirect("trace:batch-detail", pk=pk)
    try:
        added = services.batch_reports_link(
            actor=request.user,
            batch=batch,
            reports=list(form.cleaned_data["reports"]),
            codes=form.code_list(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已关联 {len(added)} 份检测报告，等级已按合格报告重新确定。")
    return redirect("trace:batch-detail", pk=pk)


@require_POST
@login_required
def batch_release(request: AuthedRequest, pk: int) -> HttpResponseBase:
    batch = _managed(request, pk)
    try:
        services.batch_release(actor=request.user, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"批次 {batch.number} 已放行。")
    return redirect("trace:batch-detail", pk=pk)


@require_POST
@login_required
def batch_recall(request: AuthedRequest, pk: int) -> HttpResponseBase:
    batch = _managed(request, pk)
    form = BatchRecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, "召回须填写原因（不超过 500 字）。")
        return redirect("trace:batch-detail", pk=pk)
    try:
        result = services.batch_recall(actor=request.user, batch=batch, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        cascaded = "、".join(b.number for b in result.cascaded) or "无"
        messages.success(
            request,
            f"批次 {batch.number} 已召回；随同召回的下游批次：{cascaded}；"
            f"需通知的收货方 {len(result.recipients)} 个（见下方“收货方”）。",
        )
    return redirect("trace:batch-detail", pk=pk)


urlpatterns = [
    path("batches/", batch_list, name="batch-list"),
    path("batches/new/", batch_create, name="batch-create"),
    path("batches/export/", batch_export, name="batch-export"),
    path("batches/<int:pk>/", batch_detail, name="batch-detail"),
    path("batches/<int:pk>/edit/", batch_edit, name="batch-edit"),
    path("batches/<int:pk>/reports/", batch_reports_link, name="batch-reports"),
    path("batches/<int:pk>/release/", batch_release, name="batch-release"),
    path("batches/<int:pk>/recall/", batch_recall, name="batch-recall"),
]
