"""Pages of test reports: list (filters, search, Excel export), detail, the PDF download,
record and correct (item rows), regrade, and the producer/base pickers of the form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
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
from dibiao.core.uploads import file_response, open_stored
from dibiao.production import selectors
from dibiao.production.choices import TestKind, TestResult
from dibiao.production.models import TestItem, TestReport
from dibiao.production.permissions import (
    can_correct_report,
    can_record_tests,
    can_regrade_report,
    can_view_reports,
)
from dibiao.production.report_forms import (
    PRODUCER_OPTIONS,
    ItemFormSet,
    ReportFilterForm,
    ReportForm,
    item_initial,
    items_of,
    producer_label,
)
from dibiao.production.services import grading, test_reports

__test__ = False  # a views module whose name starts with "test_": not pytest's

EXPORT_HEADERS = [
    "报告编号",
    "报告类型",
    "检测机构",
    "产品",
    "受检主体",
    "所在县",
    "基地",
    "样品编号",
    "批次号",
    "抽样日期",
    "检测日期",
    "检测结论",
    "等级",
    "检测项目数",
    "不合格项目",
    "录入人",
    "录入时间",
]


def decimal_text(value: Decimal | None) -> str:
    """A value without trailing zeros (18.0000 → 18, 0.0500 → 0.05), never in E notation."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def limits_text(low: Decimal | None, high: Decimal | None) -> str:
    if low is not None and high is not None:
        return f"{decimal_text(low)} ～ {decimal_text(high)}"
    if low is not None:
        return f"≥ {decimal_text(low)}"
    if high is not None:
        return f"≤ {decimal_text(high)}"
    return ""


@dataclass(frozen=True)
class ItemRow:
    item: TestItem
    value: str
    limits: str


def _reader(request: HttpRequest) -> None:
    if not can_view_reports(request.user):
        raise PermissionDenied


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _filtered(request: AuthedRequest) -> tuple[selectors.ReportFilters, Any]:
    filters = ReportFilterForm(request.GET).filters()
    return filters, selectors.test_report_list_for_user(user=request.user, filters=filters)


@login_required
def report_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    filters, reports = _filtered(request)
    producer = None
    if filters.producer is not None:
        producer = (
            selectors.sample_producer_choices(user=request.user).filter(pk=filters.producer).first()
        )
    context = {
        "params": request.GET,
        "filters": filters,
        "options": selectors.report_filter_options(user=request.user),
        "results": TestResult.choices,
        "kinds": TestKind.choices,
        "grade_none": selectors.GRADE_NONE,
        "producer": producer,
        "can_record": can_record_tests(request.user),
        **paginate(request, reports),
    }
    return render(request, "production/report_list.html", context)


def _export_row(report: TestReport) -> list[object]:
    failed = [i.name for i in report.items.all() if not i.passed]
    return [
        report.report_number,
        report.get_kind_display(),
        report.lab.name,
        report.product.name,
        report.producer.name,
        report.producer.division.name,
        report.base.name if report.base else "",
        report.sample_code,
        report.batch_code,
        report.sampled_on,
        report.tested_on,
        report.get_result_display(),
        report.grade.name if report.grade else "",
        len(report.items.all()),
        "、".join(failed),
        str(report.recorded_by or ""),
        f"{timezone.localtime(report.created_at):%Y-%m-%d %H:%M}",
    ]


@login_required
def report_export(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    _, reports = _filtered(request)
    reports = reports.select_related("producer__division").prefetch_related("items")
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="production.testreport",
        detail=f"导出检测报告 {reports.count()} 份；条件：{request.GET.urlencode() or '无'}",
    )
    return xlsx_response(
        filename="检测报告",
        sheet_title="检测报告",
        headers=EXPORT_HEADERS,
        rows=(_export_row(r) for r in reports.iterator(chunk_size=500)),
    )


@login_required
def report_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    report = selectors.test_report_get_for_user(user=request.user, pk=pk)
    items = list(report.items.all())
    current = grading.grade_for_items(
        scheme=grading.scheme_of(report.product_id),
        items=items,
        passed=report.result != TestResult.FAIL,
    )
    context = {
        "report": report,
        "rows": [
            ItemRow(i, decimal_text(i.value), limits_text(i.limit_min, i.limit_max)) for i in items
        ],
        "failed_count": sum(1 for i in items if not i.passed),
        # The grade the current scheme would give, shown when it differs from the stored one.
        "current_grade": current,
        "grade_outdated": (current.pk if current else None) != report.grade_id,
        "can_correct": can_correct_report(request.user, report),
        "can_regrade": can_regrade_report(request.user, report),
    }
    return render(request, "production/report_detail.html", context)


@login_required
def report_file(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    report = selectors.test_report_get_for_user(user=request.user, pk=pk)
    return file_response(
        open_stored(report.file),
        filename=f"检测报告-{report.report_number}.pdf",
        content_type="application/pdf",
    )


def _form_page(
    request: AuthedRequest, form: ReportForm, formset: Any, report: TestReport | None
) -> HttpResponseBase:
    context = {"form": form, "formset": formset, "report": report}
    return render(request, "production/report_form.html", context)


@login_required
def report_create(request: AuthedRequest) -> HttpResponseBase:
    _require(can_record_tests(request.user))
    form = ReportForm(request.POST or None, request.FILES or None, user=request.user)
    formset = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        try:
            report = test_reports.test_report_create(
                actor=request.user,
                items=items_of(formset),
                upload=data.pop("file"),
                **data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"检测报告“{report.report_number}”已录入。")
            return redirect("production:report-detail", pk=report.pk)
    return _form_page(request, form, formset, None)


@login_required
def report_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    report = selectors.test_report_get_for_user(user=request.user, pk=pk)
    _require(can_correct_report(request.user, report))
    initial = {name: getattr(report, name) for name in test_reports.CORRECTABLE_FIELDS}
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        report=report,
        initial=initial,
    )
    formset = ItemFormSet(request.POST or None, prefix="items", initial=item_initial(report))
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in test_reports.CORRECTABLE_FIELDS}
        try:
            test_reports.test_report_update(
                actor=request.user,
                report=report,
                data=data,
                items=items_of(formset),
                upload=form.cleaned_data["file"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "检测报告已更正，检测结论和等级已重新计算。")
            return redirect("production:report-detail", pk=report.pk)
    return _form_page(request, form, formset, report)


@require_POST
@login_required
def report_regrade(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    report = selectors.test_report_get_for_user(user=request.user, pk=pk)
    _require(can_regrade_report(request.user, report))
    try:
        report = grading.test_report_regrade(report=report, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        grade = report.grade.name if report.grade else "无等级"
        messages.success(request, f"已按现行分级方案重新评定：{grade}。")
    return redirect("production:report-detail", pk=pk)


@login_required
def report_producer_options(request: AuthedRequest) -> HttpResponseBase:
    """The producer list of the form, for the search box (htmx swaps the options)."""
    _require(can_record_tests(request.user))  # a report's correctors are lab users too
    producers = selectors.sample_producer_choices(user=request.user, q=request.GET.get("q", ""))
    options = [(p.pk, producer_label(p)) for p in producers[:PRODUCER_OPTIONS]]
    context = {"options": options, "empty_label": "---------"}
    return render(request, "production/report_options.html", context)


@login_required
def report_base_options(request: AuthedRequest) -> HttpResponseBase:
    """The base list of the form for the chosen producer and product."""
    _reader(request)
    bases = selectors.sample_base_choices(
        user=request.user,
        producer_id=_int(request.GET.get("producer")),
        product_id=_int(request.GET.get("product")),
    )
    context = {"options": [(b.pk, b.name) for b in bases], "empty_label": "（不指定基地）"}
    return render(request, "production/report_options.html", context)


def _int(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and int(text) <= selectors.MAX_ID else None


urlpatterns = [
    path("reports/", report_list, name="report-list"),
    path("reports/new/", report_create, name="report-create"),
    path("reports/export/", report_export, name="report-export"),
    path("reports/options/producers/", report_producer_options, name="report-producer-options"),
    path("reports/options/bases/", report_base_options, name="report-base-options"),
    path("reports/<int:pk>/", report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report-edit"),
    path("reports/<int:pk>/file/", report_file, name="report-file"),
    path("reports/<int:pk>/regrade/", report_regrade, name="report-regrade"),
]
