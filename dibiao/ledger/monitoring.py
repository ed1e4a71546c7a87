"""The security administrator's side of the ledger (the console at /ledger/admin/): acknowledging
alerts, publishing a checkpoint now, and audit runs — requested from the console and run by the
task worker, or run by `manage.py ledger_verify` — each kept as a `LedgerAuditRun`.

Writes follow the services' rules (keyword-only, atomic, audit-logged); `services.py` keeps the
log itself (queue, sequencer, checkpoints, alerts)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.params import MAX_ID
from dibiao.ledger import audit, services
from dibiao.ledger.models import AuditRunSource, LedgerAlert, LedgerAuditRun, LedgerCheckpoint
from dibiao.ledger.services import LedgerError

if TYPE_CHECKING:
    from dibiao.accounts.models import User

MAX_RUN_FINDINGS = 500  # as many as an alert keeps; the count is always the full one
# A console run unfinished after this long is taken for dead (its worker stopped): a new
# request queues a new run instead of waiting on it.
STALE_RUN = dt.timedelta(hours=1)


@transaction.atomic
def alert_acknowledge(*, actor: User, alert_id: int) -> LedgerAlert:
    """Mark an alert as seen by `actor`. Acknowledging does not make the ledger right: the next
    audit raises a new alert while the finding stands."""
    alert = (
        LedgerAlert.objects.select_for_update().filter(pk=alert_id).first()
        if 0 < alert_id <= MAX_ID
        else None
    )
    if alert is None:
        raise LedgerError("not_found", "未找到该告警。", status=404)
    if alert.acknowledged_at is not None:
        raise LedgerError(
            "already_acknowledged",
            f"该告警已由 {alert.acknowledged_by} 于 "
            f"{timezone.localtime(alert.acknowledged_at):%Y-%m-%d %H:%M} 确认。",
            status=409,
        )
    alert.acknowledged_by = actor
    alert.acknowledged_at = timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=alert,
        changes={"after": {"acknowledged_at": alert.acknowledged_at.isoformat()}},
        detail=f"确认账本告警（{alert.source}）：{alert.summary}",
    )
    return alert


def checkpoint_publish(*, actor: User) -> LedgerCheckpoint:
    """Publish a checkpoint now, even if the tree has not grown (`publish_checkpoint` proves it
    consistent first and raises `LedgerError`, with an alert, when it is not)."""
    checkpoint = services.publish_checkpoint(force=True)
    if checkpoint is None:  # pragma: no cover - force always publishes or raises
        raise LedgerError("not_published", "检查点未发布。")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            obj=checkpoint,
            detail=f"手动发布账本检查点：树大小 {checkpoint.size}",
        )
    return checkpoint


@transaction.atomic
def audit_run_request(*, actor: User) -> LedgerAuditRun:
    """Queue an audit for the task worker. A run already queued or running is returned instead
    of a second one: two audits of the same log at once only double the load."""
    waiting = (
        LedgerAuditRun.objects.select_for_update()
        .filter(
            source=AuditRunSource.CONSOLE,
            finished_at=None,
            requested_at__gte=timezone.now() - STALE_RUN,
        )
        .order_by("id")
        .first()
    )
    if waiting is not None:
        return waiting
    run = LedgerAuditRun.objects.create(source=AuditRunSource.CONSOLE, requested_by=actor)
    audit_record(actor=actor, action=AuditAction.CREATE, obj=run, detail="发起账本核验")
    # Imported here: the task module imports this one.
    from dibiao.ledger.tasks import ledger_audit_run

    # With the database queue the task row commits (or rolls back) with the run row.
    ledger_audit_run.enqueue(run.pk)
    return run


def audit_run_execute(*, run_id: int) -> LedgerAuditRun:
    """Run a queued audit (the task's work). A run another worker already started is left to it
    (a task delivered twice)."""
    claimed = LedgerAuditRun.objects.filter(pk=run_id, started_at=None).update(
        started_at=timezone.now()
    )
    run = LedgerAuditRun.objects.get(pk=run_id)
    if claimed:
        _execute(run)
    return run


def audit_run_now(
    *,
    source: str,
    progress: Callable[[str], None] | None = None,
    alert_findings: bool = True,
) -> tuple[LedgerAuditRun, audit.Report]:
    """Run the audit here and now (`manage.py ledger_verify`), recorded like the console's."""
    now = timezone.now()
    run = LedgerAuditRun.objects.create(source=source, requested_at=now, started_at=now)
    return run, _execute(run, progress=progress, alert_findings=alert_findings)


def _execute(
    run: LedgerAuditRun,
    *,
    progress: Callable[[str], None] | None = None,
    alert_findings: bool = True,
) -> audit.Report:
    """Run the audit, record its outcome on `run` and alert the security administrators on any
    finding. An exception in the audit is recorded on the row and raised again."""
    try:
        report = audit.run(progress=progress)
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["error", "finished_at"])
        raise
    run.finished_at = timezone.now()
    run.ok = report.ok
    run.size = report.size
    run.leaves_checked = report.leaves_checked
    run.checkpoints_checked = report.checkpoints_checked
    run.witnessed_checked = report.witnessed_checked
    run.findings_count = len(report.findings)
    run.findings = [f.as_dict() for f in report.findings[:MAX_RUN_FINDINGS]]
    run.save()
    if not report.ok and alert_findings:
        services.alert("ledger_verify", audit_summary(report), report.findings)
    return report


def audit_summary(report: audit.Report) -> str:
    return f"账本核验发现 {len(report.findings)} 处不一致"
