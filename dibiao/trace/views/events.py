"""Pages of trace events (收购, 储存, 运输, 加工, 销售): list, record (input and output batch
rows), detail, and the destination picker of the form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path

from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.paging import paginate
from dibiao.trace.batch_forms import (
    DESTINATION_OPTIONS,
    EventFilterForm,
    EventForm,
    InputFormSet,
    OutputFormSet,
    input_lines,
    output_lines,
)
from dibiao.trace.choices import TraceStage
from dibiao.trace.permissions.batches import can_keep_batches, can_view_batches
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services import events as services


def _reader(request: AuthedRequest) -> None:
    if not can_view_batches(request.user):
        raise PermissionDenied


@login_required
def event_list(request: AuthedRequest) -> HttpResponseBase:
    _reader(request)
    filters = EventFilterForm(request.GET).filters()
    batch = None
    if filters.batch is not None:
        batch = selectors.batch_list_for_user(user=request.user).filter(pk=filters.batch).first()
    context = {
        "params": request.GET,
        "filters": filters,
        "stages": TraceStage.choices,
        "batch": batch,
        "can_record": can_keep_batches(request.user),
        **paginate(request, selectors.event_list_for_user(user=request.user, filters=filters)),
    }
    return render(request, "trace/event_list.html", context)


@login_required
def event_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _reader(request)
    event = selectors.event_get_for_user(user=request.user, pk=pk)
    ids = [row.batch_id for row in event.inputs.all()] + [
        row.batch_id for row in event.outputs.all()
    ]
    context = {
        "event": event,
        "linkable": selectors.batch_visible_ids(user=request.user, ids=ids),
    }
    return render(request, "trace/event_detail.html", context)


def _initial_inputs(request: AuthedRequest, batches: Any) -> list[dict[str, Any]]:
    raw = request.GET.get("batch", "").strip()
    if not (raw.isdigit() and 0 < int(raw) <= selectors.MAX_ID):
        return []
    batch = batches.filter(pk=int(raw)).first()
    return [{"batch": batch.pk, "quantity": batch.remaining}] if batch is not None else []


@login_required
def event_create(request: AuthedRequest) -> HttpResponseBase:
    if not can_keep_batches(request.user):
        raise PermissionDenied
    batches = selectors.event_input_choices(user=request.user)
    data = request.POST or None
    form = EventForm(data, user=request.user)
    inputs = InputFormSet(
        data,
        prefix="inputs",
        form_kwargs={"batches": batches},
        initial=None if data else _initial_inputs(request, batches),
    )
    outputs = OutputFormSet(data, prefix="outputs")
    if request.method == "POST" and form.is_valid() and inputs.is_valid() and outputs.is_valid():
        try:
            event = services.event_record(
                actor=request.user,
                inputs=input_lines(inputs),
                outputs=output_lines(outputs),
                **form.cleaned_data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已记录{event.get_stage_display()}。")
            return redirect("trace:event-detail", pk=event.pk)
    context = {"form": form, "inputs": inputs, "outputs": outputs}
    return render(request, "trace/event_form.html", context)


@login_required
def event_destination_options(request: AuthedRequest) -> HttpResponseBase:
    """The destination list of the form, for its search box (htmx swaps the options)."""
    if not can_keep_batches(request.user):
        raise PermissionDenied
    rows = selectors.destination_choices(q=request.GET.get("q", "")[:60])
    options = [(p.pk, f"{p.name}（{p.division.name}）") for p in rows[:DESTINATION_OPTIONS]]
    return render(request, "trace/event_options.html", {"options": options})


urlpatterns = [
    path("events/", event_list, name="event-list"),
    path("events/new/", event_create, name="event-create"),
    path("events/options/destinations/", event_destination_options, name="event-destinations"),
    path("events/<int:pk>/", event_detail, name="event-detail"),
]
