"""Background tasks of the reports app (django-tasks; the worker is `manage.py db_worker`). A
task takes ids and calls one service."""

from __future__ import annotations

from django_tasks import task

from dibiao.reports.services import report_job_execute


@task()
def report_job_run(job_id: int) -> None:
    """Make the file of a report job (Word or Excel)."""
    report_job_execute(job_id=job_id)
