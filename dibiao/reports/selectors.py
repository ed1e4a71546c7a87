"""Every read of the reports app, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dibiao.core.errors import NotFoundError
from dibiao.reports.models import ReportJob


def report_job_list_for_user(*, user: Any) -> QuerySet[ReportJob]:
    """The jobs of the user's scope (by the division each was requested in) and its own,
    newest first."""
    rows = ReportJob.objects.restrict(user)
    if user is not None and user.is_authenticated and user.is_active:
        # Its own, even from a division it no longer covers.
        rows = rows | ReportJob.objects.filter(requested_by=user)
    return rows.select_related("program", "division", "requested_by").order_by("-created_at", "-id")


def report_job_get_for_user(*, user: Any, pk: int) -> ReportJob:
    job = report_job_list_for_user(user=user).filter(pk=pk).first()
    if job is None:
        raise NotFoundError("未找到该报表任务。")
    return job
