"""Counterfeit alerts (防伪预警): raised by the signals (de-duplicated), closed with a note by the
county or the province; the province's thresholds; the over-labelling check of an authorization.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.counterfeit import forget_alert_state, forget_trace_settings
from dibiao.trace.errors import TraceError
from dibiao.trace.models import CodeIssuance, CounterfeitAlert, TraceSettings
from dibiao.trace.permissions.alerts import can_close_alert, can_edit_trace_settings
from dibiao.trace.reconciliation import reconcile

NOTE_MAX_LENGTH = 1000
SETTINGS_FIELDS = (
    "max_scans_per_code",
    "max_networks_per_code",
    "max_speed_kmh",
    "max_mac_failures_per_hour",
    "scans_per_minute",
)


def _lock_alerts() -> None:
    # Raising is check-then-insert; without a lock two scans at the same moment would both
    # find no open alert and open two. Alerts are rare, so one lock row for all of them
    # (the settings row) costs nothing; on SQLite the IMMEDIATE transaction already
    # serialises writers.
    TraceSettings.objects.get_or_create(pk=1)
    TraceSettings.objects.select_for_update().filter(pk=1).first()


def _open_duplicate(
    kind: str,
    *,
    serial: int | None,
    issuance: CodeIssuance | None,
    evidence: dict[str, Any],
) -> CounterfeitAlert | None:
    """The open alert this one repeats: per code for the scan signals, per network for forged
    codes, per batch for over-labelling, per issuance otherwise."""
    rows = CounterfeitAlert.objects.filter(kind=kind, status=AlertStatus.OPEN)
    if serial is not None:
        rows = rows.filter(serial=serial)
    elif kind == AlertKind.MAC_FAILURE:
        rows = rows.filter(serial__isnull=True, evidence__network=evidence.get("network", ""))
    elif kind == AlertKind.OVER_LABELLING:
        rows = rows.filter(evidence__batch_id=evidence.get("batch_id"))
    else:
        rows = rows.filter(serial__isnull=True, issuance=issuance)
    return rows.select_for_update().order_by("id").first()


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    division: Division,
    producer: Producer | None = None,
    issuance: CodeIssuance | None = None,
    serial: int | None = None,
    evidence: dict[str, Any],
) -> CounterfeitAlert:
    """Open an alert, or — when one of the same kind is already open for the same code
    (network, batch, issuance) — bring that one's evidence up to date and return it."""
    if kind not in AlertKind.values:
        raise TraceError("invalid_alert_kind", f"未知的预警类型：{kind}")
    _lock_alerts()
    existing = _open_duplicate(kind, serial=serial, issuance=issuance, evidence=evidence)
    if existing is not None:
        existing.evidence = {**evidence, "repeats": int(existing.evidence.get("repeats", 0)) + 1}
        existing.save(update_fields=["evidence"])
        return existing
    alert = CounterfeitAlert.objects.create(
        kind=kind,
        division=division,
        producer=producer,
        issuance=issuance,
        serial=serial,
        evidence=evidence,
    )
    audit_record(
        actor=None,
        action=AuditAction.CREATE,
        obj=alert,
        detail=f"防伪预警：{alert.get_kind_display()}（{division.name}）",
    )
    _forget_state(serial)
    return alert


def _forget_state(serial: int | None) -> None:
    # Now, for this process's next scan, and again after the commit: a scan that re-read the
    # state from the database before the commit must not keep the old one.
    forget_alert_state(serial)
    transaction.on_commit(lambda: forget_alert_state(serial))


@transaction.atomic
def alert_close(*, actor: User, alert: CounterfeitAlert, note: str) -> CounterfeitAlert:
    if not CounterfeitAlert.objects.restrict(actor).filter(pk=alert.pk).exists():
        raise NotFoundError("未找到该预警。")
    if not can_close_alert(actor, alert):
        raise ForbiddenError("只有县级或省级管理员可以处理防伪预警。")
    note = (note or "").strip()
    if not note:
        raise TraceError("note_required", "请填写处理说明（核查情况与处理结果）。")
    if len(note) > NOTE_MAX_LENGTH:
        raise TraceError("note_too_long", f"处理说明不能超过 {NOTE_MAX_LENGTH} 字。")
    locked = CounterfeitAlert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != AlertStatus.OPEN:
        raise TraceError("alert_closed", "该预警已处理，不能重复处理。", status=409)
    locked.status = AlertStatus.CLOSED
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.note = note
    locked.save(update_fields=["status", "closed_at", "closed_by", "note"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=locked,
        changes={
            "before": {"status": AlertStatus.OPEN},
            "after": {"status": AlertStatus.CLOSED, "note": note},
        },
        detail="处理防伪预警",
    )
    _forget_state(locked.serial)
    return locked


@transaction.atomic
def trace_settings_update(*, actor: User, **values: int) -> TraceSettings:
    """The province's thresholds. Every field must be given; the model's minimums apply."""
    if not can_edit_trace_settings(actor):
        raise ForbiddenError("只有省级管理员可以修改防伪预警阈值。")
    unknown = set(values) - set(SETTINGS_FIELDS)
    missing = set(SETTINGS_FIELDS) - set(values)
    if unknown or missing:
        raise TraceError("invalid", "阈值字段不完整或有未知字段。")
    TraceSettings.objects.get_or_create(pk=1)
    current = TraceSettings.objects.select_for_update().get(pk=1)
    before = model_snapshot(current)
    for name, value in values.items():
        setattr(current, name, value)
    try:
        current.full_clean(exclude=["updated_at"])
    except ValidationError as exc:
        name, errors = next(iter(exc.message_dict.items()))
        label = getattr(TraceSettings._meta.get_field(name), "verbose_name", name)
        raise TraceError("invalid", f"{label}：{errors[0]}") from exc
    current.updated_at = timezone.now()
    current.save()
    changes = snapshot_diff(before, model_snapshot(current))
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=current, changes=changes)
    forget_trace_settings()
    transaction.on_commit(forget_trace_settings)
    return current


@transaction.atomic
def over_labelling_check(*, authorization: LabelAuthorization) -> list[CounterfeitAlert]:
    """Raise (or refresh) an OVER_LABELLING alert for each batch of the authorization's
    producer and product that carries more of its labels than the batch can hold. Called
    after labels are bound to a batch, and from the reconciliation page and API."""
    report = reconcile(authorization)
    alerts: list[CounterfeitAlert] = []
    producer = authorization.producer
    for row in report.batches:
        if not row.over:
            continue
        alerts.append(
            alert_raise(
                kind=AlertKind.OVER_LABELLING,
                division=producer.division,
                producer=producer,
                issuance=row.last_issuance,
                evidence={
                    "authorization_id": authorization.pk,
                    "authorization": authorization.number,
                    "batch_id": row.batch.pk,
                    "batch": row.batch.number,
                    "labels_bound": row.labels_bound,
                    "labels_allowed": row.labels_allowed,
                    "batch_quantity": str(row.batch.quantity.normalize()),
                    "unit": row.batch.unit,
                    "labels_issued": report.labels_issued,
                    "authorized_quantity": authorization.authorized_quantity,
                },
            )
        )
    return alerts
