"""Pages of media reports (媒体报道): list, export, import, record, edit, detail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.brand import exports, selectors
from dibiao.brand.choices import MediaLevel
from dibiao.brand.forms import ReportForm
from dibiao.brand.imports import REPORT_COLUMNS, MediaReportImport
from dibiao.brand.models import MediaReport
from dibiao.brand.permissions import can_record_brand, can_view_brand
from dibiao.brand.services import reports as services
from dibiao.brand.views.common import add_error, export, is_filtered, list_filters, require
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.producers.forms import ImportForm
from dibiao.producers.imports import template_bytes
from dibiao.producers.views.common import xlsx_download


def _rows(request: AuthedRequest) -> QuerySet[MediaReport]:
    filters = list_filters(request.GET, choices={"level": MediaLevel.values})
    return selectors.report_list_for_user(user=request.user, **filters)


@login_required
def report_list(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    context = {
        "params": request.GET,
        "filtered": is_filtered(request.GET),
        "products": selectors.product_filter_choices(user=request.user),
        "levels": MediaLevel.choices,
        "can_record": can_record_brand(request.user),
        **paginate(request, _rows(request)),
    }
    return render(request, "brand/report_list.html", context)


@login_required
def report_export(request: AuthedRequest) -> HttpResponseBase:
    require(can_view_brand(request.user))
    return export(
        request, _rows(request), exports.REPORTS, object_type=MediaReport._meta.label_lower
    )


@login_required
def report_create(request: AuthedRequest) -> HttpResponseBase:
    require(can_record_brand(request.user))
    form = ReportForm(request.POST or None, products=selectors.product_choices(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, f"媒体报道“{report.title}”已登记。")
            return redirect(report)
    return render(request, "brand/report_form.html", {"form": form, "report": None})


@login_required
def report_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_record_brand(request.user))
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    initial = {name: getattr(report, name) for name in services.REPORT_FIELDS}
    products = selectors.product_choices_with(user=request.user, current=[report.product_id])
    form = ReportForm(request.POST or None, products=products, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_update(actor=request.user, report=report, data=form.cleaned_data)
        except DomainError as exc:
            add_error(form, exc)
        else:
            messages.success(request, "媒体报道已保存。")
            return redirect(report)
    return render(request, "brand/report_form.html", {"form": form, "report": report})


@login_required
def report_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    require(can_view_brand(request.user))
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    context = {"report": report, "can_record": can_record_brand(request.user)}
    return render(request, "brand/report_detail.html", context)


@login_required
def report_import(request: AuthedRequest) -> HttpResponseBase:
    require(can_record_brand(request.user))
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.report_import(
                actor=request.user,
                upload=form.cleaned_data["file"],
                only_valid=form.cleaned_data["only_valid"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
    context = {"form": form, "report": result, "columns": REPORT_COLUMNS}
    return render(request, "brand/report_import.html", context)


@login_required
def report_import_template(request: AuthedRequest) -> HttpResponseBase:
    require(can_record_brand(request.user))
    return xlsx_download(template_bytes(MediaReportImport), "媒体报道导入模板.xlsx")


urlpatterns = [
    path("reports/", report_list, name="report-list"),
    path("reports/export/", report_export, name="report-export"),
    path("reports/import/", report_import, name="report-import"),
    path("reports/import/template/", report_import_template, name="report-import-template"),
    path("reports/new/", report_create, name="report-create"),
    path("reports/<int:pk>/", report_detail, name="report-detail"),
    path("reports/<int:pk>/edit/", report_edit, name="report-edit"),
]
