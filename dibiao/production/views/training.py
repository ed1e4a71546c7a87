"""Pages of training sessions (培训): list, record, edit, detail with the attendee list (entered,
imported from Excel, removed), and the person-times summary (product × year)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.production import selectors
from dibiao.production.forms import (
    AttendeeForm,
    AttendeeFormSet,
    AttendeeImportForm,
    TrainingForm,
)
from dibiao.production.models import TrainingSession
from dibiao.production.permissions import can_record_training, can_view_production
from dibiao.production.services import training as services


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _year(value: str | None) -> int | None:
    """A year filter; one no session can have (the API's bounds) is dropped, as the date
    lookup cannot build a year outside 1–9999."""
    year = _int(value)
    return year if year is not None and 2000 <= year <= 2100 else None


def _form_errors(form: Form) -> str:
    return "；".join(
        f"{form.fields[name].label}：{e}" if name in form.fields else str(e)
        for name, errors in form.errors.items()
        for e in errors
    )


def _training_form(request: AuthedRequest, **kwargs: Any) -> TrainingForm:
    return TrainingForm(
        request.POST or None,
        products=selectors.training_product_choices(user=request.user),
        divisions=selectors.training_division_choices(user=request.user),
        **kwargs,
    )


def _attendees(formset: Any) -> list[services.AttendeeInput]:
    return [
        services.AttendeeInput(
            name=form.cleaned_data["name"],
            phone=form.cleaned_data.get("phone", ""),
            producer=form.cleaned_data.get("producer"),
        )
        for form in formset.forms
        if form.cleaned_data and form.cleaned_data.get("name")
    ]


@login_required
def training_list(request: AuthedRequest) -> HttpResponseBase:
    _require(can_view_production(request.user))
    params = request.GET
    sessions = selectors.training_list_for_user(
        user=request.user,
        product=_int(params.get("product")),
        year=_year(params.get("year")),
        q=params.get("q", "").strip()[:100],
    )
    context = {
        "params": params,
        "products": selectors.training_product_choices(user=request.user),
        "can_record": can_record_training(request.user),
        **paginate(request, sessions),
    }
    return render(request, "production/training_list.html", context)


@login_required
def training_create(request: AuthedRequest) -> HttpResponseBase:
    _require(can_record_training(request.user))
    form = _training_form(request)
    producers = selectors.training_producer_choices(user=request.user)
    formset = AttendeeFormSet(
        request.POST or None, prefix="attendees", form_kwargs={"producers": producers}
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            session = services.training_create(
                actor=request.user, data=form.cleaned_data, attendees=_attendees(formset)
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"培训“{session.topic}”已登记。")
            return redirect("production:training-detail", pk=session.pk)
    return render(
        request,
        "production/training_form.html",
        {"form": form, "formset": formset, "session": None},
    )


@login_required
def training_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_record_training(request.user))
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    initial = {name: getattr(session, name) for name in services.TRAINING_FIELDS}
    form = _training_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_update(actor=request.user, session=session, data=form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "培训记录已保存。")
            return redirect("production:training-detail", pk=pk)
    return render(
        request,
        "production/training_form.html",
        {"form": form, "formset": None, "session": session},
    )


def _detail_context(request: AuthedRequest, session: TrainingSession) -> dict[str, Any]:
    can_record = can_record_training(request.user)
    producers = selectors.training_producer_choices(user=request.user)
    return {
        "session": session,
        "attendees": list(session.attendees.all()),
        "can_record": can_record,
        "import_form": AttendeeImportForm() if can_record else None,
        "attendee_form": AttendeeForm(producers=producers) if can_record else None,
    }


@login_required
def training_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_view_production(request.user))
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    return render(request, "production/training_detail.html", _detail_context(request, session))


@require_POST
@login_required
def training_attendee_import(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_record_training(request.user))
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    form = AttendeeImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("production:training-detail", pk=pk)
    try:
        people = services.attendees_from_xlsx(form.cleaned_data["file"])
        services.training_attendees_replace(actor=request.user, session=session, attendees=people)
    except DomainError as exc:
        messages.error(request, f"未导入：{exc.message}")
    else:
        messages.success(request, f"已导入参训人员 {len(people)} 人。")
    return redirect("production:training-detail", pk=pk)


@require_POST
@login_required
def training_attendee_add(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require(can_record_training(request.user))
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    producers = selectors.training_producer_choices(user=request.user)
    form = AttendeeForm(request.POST, producers=producers)
    if form.is_valid():
        try:
            services.training_attendee_add(
                actor=request.user,
                session=session,
                attendee=services.AttendeeInput(**form.cleaned_data),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已添加参训人员“{form.cleaned_data['name']}”。")
            return redirect("production:training-detail", pk=pk)
    context = {**_detail_context(request, session), "attendee_form": form}
    return render(request, "production/training_detail.html", context, status=400)


@require_POST
@login_required
def training_attendee_remove(request: AuthedRequest, pk: int, attendee_pk: int) -> HttpResponseBase:
    _require(can_record_training(request.user))
    session = selectors.training_get_for_user(user=request.user, pk=pk)
    try:
        services.training_attendee_remove(
            actor=request.user, session=session, attendee_id=attendee_pk
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已删除该参训人员。")
    return redirect("production:training-detail", pk=pk)


@login_required
def training_summary(request: AuthedRequest) -> HttpResponseBase:
    """Person-times per product (rows) and year (columns)."""
    _require(can_view_production(request.user))
    rows = selectors.training_person_times(
        user=request.user, year=None, product=_int(request.GET.get("product"))
    )
    years = sorted({row.year for row in rows}, reverse=True)
    table: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = table.setdefault(
            row.product_id, {"name": row.product_name, "cells": {}, "total": 0}
        )
        entry["cells"][row.year] = row
        entry["total"] += row.person_times
    products = [
        {"name": e["name"], "cells": [e["cells"].get(y) for y in years], "total": e["total"]}
        for e in table.values()
    ]
    year_totals = [sum(r.person_times for r in rows if r.year == y) for y in years]
    context = {
        "years": years,
        "products": products,
        "year_totals": year_totals,
        "grand_total": sum(year_totals),
        "params": request.GET,
        "product_choices": selectors.training_product_choices(user=request.user),
    }
    return render(request, "production/training_summary.html", context)


urlpatterns = [
    path("training/", training_list, name="training-list"),
    path("training/new/", training_create, name="training-create"),
    path("training/summary/", training_summary, name="training-summary"),
    path("training/<int:pk>/", training_detail, name="training-detail"),
    path("training/<int:pk>/edit/", training_edit, name="training-edit"),
    path(
        "training/<int:pk>/attendees/import/",
        training_attendee_import,
        name="training-attendee-import",
    ),
    path("training/<int:pk>/attendees/add/", training_attendee_add, name="training-attendee-add"),
    path(
        "training/<int:pk>/attendees/<int:attendee_pk>/remove/",
        training_attendee_remove,
        name="training-attendee-remove",
    ),
]
