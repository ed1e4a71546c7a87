"""Background tasks of the trace app (django-tasks; the worker is `manage.py db_worker`). A
task takes ids and calls one service."""

from __future__ import annotations

from django_tasks import task

from dibiao.trace.services.jobs import label_job_execute


@task()
def label_job_run(job_id: int) -> None:
    """Make the file of a label job (PDF sheets or CSV); the QR codes' origin is the job's."""
    label_job_execute(job_id=job_id)
