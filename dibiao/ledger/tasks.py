"""Background tasks of the ledger (django-tasks; the worker is `manage.py db_worker`). A task
takes ids and calls one service."""

from __future__ import annotations

from django_tasks import task

from dibiao.ledger.monitoring import audit_run_execute


@task()
def ledger_audit_run(run_id: int) -> None:
    """The audit the security console asked for: recompute every leaf, rebuild the tree, record
    the run and alert on any finding."""
    audit_run_execute(run_id=run_id)
