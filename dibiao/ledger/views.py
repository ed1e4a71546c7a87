"""Pages of the ledger.

Public, no login: /ledger/ (what the ledger is, the latest signed checkpoint, the verifier key,
how to verify), /ledger/entries/<index>/ (a leaf, its inclusion proof against the latest
checkpoint and a button that checks the proof in the browser: static/ledger/verify.js), and the
raw files the offline verifier reads (leaf bytes, checkpoint note, verifier key).

The security console /ledger/admin/ (secadmin only): the log's state, alerts to acknowledge,
audit runs, and buttons to publish a checkpoint or audit the ledger now.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dibiao.accounts import permissions as perms
from dibiao.accounts.http import AuthedRequest
from dibiao.core.errors import DomainError
from dibiao.core.params import MAX_ID
from dibiao.ledger import keys, monitoring, selectors, services
from dibiao.ledger.api import b64
from dibiao.ledger.models import Algorithm, LedgerAlert, LedgerAuditRun

MAX_INDEX_DIGITS = len(str(MAX_ID))
CONSOLE_ALERTS = 20
CONSOLE_RUNS = 10


def _public_origin(request: HttpRequest) -> str:
    return str(settings.DIBIAO_PUBLIC_URL or request.build_absolute_uri("/")).rstrip("/")


def _number(raw: str) -> int | None:
    """An index or a tree size typed into a query string (0 included, at most a bigint)."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_INDEX_DIGITS:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def _interval_minutes() -> int:
    return max(1, int(settings.DIBIAO_LEDGER_CHECKPOINT_INTERVAL) // 60)


def _text(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Public pages ------------------------------------------------------------------------------


@require_GET
def ledger_home(request: HttpRequest) -> HttpResponse:
    state = services.state()
    checkpoint = selectors.latest_checkpoint()
    context = {
        "state": state,
        "algorithm_label": Algorithm(state.algorithm).label,
        "checkpoint": checkpoint,
        "root_hash": b64(checkpoint.root_hash) if checkpoint is not None else "",
        "verifier_key": keys.verifier_key(state.origin),
        "type_labels": selectors.type_labels(),
    }
    return render(request, "ledger/ledger_home.html", context)


@require_GET
def entry_lookup(request: HttpRequest) -> HttpResponse:
    """The home page's form: an index typed in (0 is a valid one)."""
    index = _number(request.GET.get("index", ""))
    if index is not None:
        return redirect("ledger:entry-detail", index=index)
    return _missing(request, "请输入账本叶的序号（从 0 开始的整数）。", status=400)


def _missing(request: HttpRequest, message: str, *, status: int = 404) -> HttpResponse:
    return render(
        request,
        "ledger/entry_missing.html",
        {"message": message, "size": services.state().size},
        status=status,
    )


@require_GET
def entry_detail(request: HttpRequest, index: int) -> HttpResponse:
    entry = selectors.entry_get(index)
    if entry is None:
        return _missing(request, f"账本中没有第 {index} 号叶。")
    state = services.state()
    checkpoint = entry.checkpoint
    proof_data = None
    if checkpoint is not None and entry.proof is not None:
        proof_data = {
            "algorithm": state.algorithm,
            "index": index,
            "size": checkpoint.size,
            "leaf": b64(entry.data),
            "leaf_hash": b64(entry.leaf.leaf_hash),
            "proof": [b64(item) for item in entry.proof],
            "root_hash": b64(checkpoint.root_hash),
            "checkpoint": checkpoint.note,
            "verifier_key": keys.verifier_key(state.origin),
        }
    context = {
        "entry": entry,
        "leaf_hash": b64(entry.leaf.leaf_hash),
        "state": state,
        "algorithm_label": Algorithm(state.algorithm).label,
        "checkpoint": checkpoint,
        "proof_data": proof_data,
        "browser_verifiable": state.algorithm == Algorithm.SHA256,
        "origin": _public_origin(request),
        "interval_minutes": _interval_minutes(),
    }
    return render(request, "ledger/entry_detail.html", context)


@require_GET
def entry_leaf(request: HttpRequest, index: int) -> HttpResponse:
    """The leaf's bytes, for `verify inclusion --leaf-file`."""
    entry = selectors.entry_get(index)
    if entry is None:
        return _missing(request, f"账本中没有第 {index} 号叶。")
    response = HttpResponse(entry.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="leaf-{index}.bin"'
    return response


@require_GET
def checkpoint_text(request: HttpRequest) -> HttpResponse:
    """The latest signed checkpoint note (or the one of ?size=), for `--checkpoint`."""
    raw = request.GET.get("size", "")
    size = _number(raw)
    if raw.strip() and size is None:
        return _missing(request, "size 必须是整数。", status=400)
    checkpoint = selectors.checkpoint_of_size(size)
    if checkpoint is None:
        message = "尚未发布检查点。" if size is None else f"没有树大小为 {size} 的检查点。"
        return _missing(request, message)
    return _text(checkpoint.note, f"checkpoint-{checkpoint.size}.txt")


@require_GET
def key_text(request: HttpRequest) -> HttpResponse:
    """The verifier key, for `--key-file`."""
    return _text(keys.verifier_key(services.state().origin) + "\n", "dibiao.vkey")


# --- The security console ------------------------------------------------------------------------


def _secadmin(request: AuthedRequest) -> None:
    if not perms.can_assign_roles(request.user):
        raise PermissionDenied


@login_required
@require_GET
def console(request: AuthedRequest) -> HttpResponse:
    _secadmin(request)
    context: dict[str, Any] = {
        "ledger": selectors.console_state(),
        "alerts": list(LedgerAlert.objects.select_related("acknowledged_by")[:CONSOLE_ALERTS]),
        "open_alerts": LedgerAlert.objects.filter(acknowledged_at=None).count(),
        "runs": list(LedgerAuditRun.objects.select_related("requested_by")[:CONSOLE_RUNS]),
        "interval_minutes": _interval_minutes(),
    }
    return render(request, "ledger/console.html", context)


@login_required
@require_POST
def checkpoint_publish(request: AuthedRequest) -> HttpResponseBase:
    _secadmin(request)
    try:
        checkpoint = monitoring.checkpoint_publish(actor=request.user)
    except DomainError as exc:
        messages.error(request, f"检查点未发布：{exc.message}")
    else:
        messages.success(request, f"已发布检查点：树大小 {checkpoint.size}。")
    return redirect("ledger:console")


@login_required
@require_POST
def audit_run_request(request: AuthedRequest) -> HttpResponseBase:
    _secadmin(request)
    run = monitoring.audit_run_request(actor=request.user)
    run.refresh_from_db()
    if run.finished_at is None:
        messages.success(request, "已提交账本核验，后台运行完成后结果显示在下方“核验记录”中。")
    else:
        messages.success(request, f"账本核验已完成：{run.status_label}。")
    return redirect(reverse("ledger:console") + "#runs")


@login_required
@require_POST
def alert_acknowledge(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _secadmin(request)
    try:
        monitoring.alert_acknowledge(actor=request.user, alert_id=pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "告警已确认。")
    return redirect(reverse("ledger:console") + "#alerts")
