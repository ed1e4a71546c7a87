"""Pages of the farmers driven (带动农户、增收): a producer's yearly table with the income
growth, a year's form, the household list (masked) and its Excel import."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.producers import selectors
from dibiao.producers.forms import FarmerLinkForm, HouseholdImportForm, add_domain_error
from dibiao.producers.imports import HouseholdImport, template_bytes
from dibiao.producers.permissions import can_manage_farmers
from dibiao.producers.services import farmers as services
from dibiao.producers.views.common import require, staff, xlsx_download


@login_required
def farmer_list(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    context = {
        "producer": producer,
        "rows": selectors.farmer_link_rows(user=request.user, producer=producer),
        "household_years": selectors.household_years(user=request.user, producer=producer),
        "can_manage": can_manage_farmers(request.user, producer),
    }
    return render(request, "producers/farmer_list.html", context)


@login_required
def farmer_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    require(can_manage_farmers(request.user, producer))
    form = FarmerLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = services.farmer_link_create(
                actor=request.user, producer=producer, **form.cleaned_data
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{link.year} 年度带动农户情况已保存。")
            return redirect("producers:farmer-list", pk=producer.pk)
    context = {"form": form, "producer": producer, "link": None}
    return render(request, "producers/farmer_form.html", context)


@login_required
def farmer_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    link = selectors.farmer_link_get_for_user(user=request.user, pk=pk)
    require(can_manage_farmers(request.user, link.producer))
    initial = {
        "households": link.households,
        "people": link.people,
        "per_capita_income": link.per_capita_income,
        "notes": link.notes,
    }
    form = FarmerLinkForm(request.POST or None, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.farmer_link_update(actor=request.user, link=link, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"{link.year} 年度带动农户情况已更新。")
            return redirect("producers:farmer-list", pk=link.producer_id)
    context = {"form": form, "producer": link.producer, "link": link}
    return render(request, "producers/farmer_form.html", context)


@login_required
def household_list(request: AuthedRequest, pk: int, year: int) -> HttpResponseBase:
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    households = selectors.household_list_for_user(
        user=request.user, producer=producer.pk, year=year, q=request.GET.get("q", "").strip()
    )
    context = {
        "producer": producer,
        "year": year,
        "params": request.GET,
        "can_manage": can_manage_farmers(request.user, producer),
        **paginate(request, households),
    }
    return render(request, "producers/household_list.html", context)


@login_required
def household_import(request: AuthedRequest, pk: int) -> HttpResponseBase:
    staff(request)
    producer = selectors.producer_get_for_user(user=request.user, pk=pk)
    require(can_manage_farmers(request.user, producer))
    form = HouseholdImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.household_import(
                actor=request.user,
                producer=producer,
                year=form.cleaned_data["year"],
                upload=form.cleaned_data["file"],
                only_valid=form.cleaned_data["only_valid"],
            )
        except DomainError as exc:
            add_domain_error(form, exc, default="file")
    context = {
        "form": form,
        "producer": producer,
        "report": report,
        "columns": HouseholdImport.columns,
    }
    return render(request, "producers/household_import.html", context)


@login_required
def household_import_template(request: AuthedRequest) -> HttpResponseBase:
    staff(request)
    return xlsx_download(template_bytes(HouseholdImport), "带动农户名单导入模板.xlsx")


urlpatterns: list[URLPattern] = [
    path("<int:pk>/farmers/", farmer_list, name="farmer-list"),
    path("<int:pk>/farmers/new/", farmer_create, name="farmer-create"),
    path("farmers/<int:pk>/edit/", farmer_edit, name="farmer-edit"),
    path("<int:pk>/households/<int:year>/", household_list, name="household-list"),
    path("<int:pk>/households/import/", household_import, name="household-import"),
    path("households/template/", household_import_template, name="household-import-template"),
]
