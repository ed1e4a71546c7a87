"""Report jobs (报表任务): a program's annual or quarterly summary or monthly dispatch table, in
Word or Excel, made in the background (`tasks.report_job_run`) with its progress.

A job goes queued → running → done, or failed with its error text. It keeps the scope it was
requested in (the whole program for a provincial user; else the top division of the user's
scope and the products the user could see), so the file holds what its requester could see
whenever the worker runs it. The builder reports each step (an indicator computed, a product
written, the file saved) into `done` / `total`, each write its own commit so that the job page
sees it. The file is downloaded through the scoped job page or API only (`report_job_open`),
each download audited.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.accounts.scoping import scope_for
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction, JobStatus
from dibiao.core.errors import ForbiddenError
from dibiao.core.excel import XLSX_CONTENT_TYPE
from dibiao.core.models import Division
from dibiao.dispatch.exports import DOCX_CONTENT_TYPE
from dibiao.evaluation.selectors import evaluation_programs_for_user, indicator_allocations_for_user
from dibiao.projects.models import Allocation, Program
from dibiao.reports.builders import check_period, report_build
from dibiao.reports.choices import ReportFormat, ReportJobKind
from dibiao.reports.documents import Progress
from dibiao.reports.errors import ReportError
from dibiao.reports.models import ReportJob
from dibiao.reports.permissions import can_use_reports

logger = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 1000
CONTENT_TYPES = {ReportFormat.DOCX: DOCX_CONTENT_TYPE, ReportFormat.XLSX: XLSX_CONTENT_TYPE}


def _program(actor: User, program_id: int) -> Program:
    """A program of the actor's scope that has products; a missing one reads the same as
    another province's."""
    program = (
        evaluation_programs_for_user(user=actor)
        .select_related("province")
        .filter(pk=program_id)
        .first()
    )
    if program is None:
        raise ReportError("program_out_of_scope", "未找到该保护工程，或不在您的数据范围内。")
    return program


def _region(actor: User, program: Program) -> tuple[Division, list[Allocation] | None]:
    """The program's province and None (every product) for a provincial user; else the top
    division of the actor's scope and the products it may see."""
    scope = scope_for(actor)
    if program.province_id in scope.division_ids:
        return program.province, None
    top = min(
        Division.objects.filter(pk__in=scope.division_ids), key=lambda d: len(d.path), default=None
    )
    if top is None:
        raise ReportError("program_out_of_scope", "未找到该保护工程，或不在您的数据范围内。")
    return top, list(indicator_allocations_for_user(user=actor, program=program))


@transaction.atomic
def report_job_create(
    *, actor: User, program_id: int, kind: str, period: int | None, format: str
) -> ReportJob:
    """Queue a report of the program for the actor's scope. `period` is the quarter (1–4) of
    a quarterly summary or the month (1–12) of a dispatch table, and not read for the annual
    summary."""
    if not can_use_reports(actor):
        raise ForbiddenError("只有各级农业农村部门可以生成报表。")
    if kind not in ReportJobKind.values:
        raise ReportError(
            "invalid_kind", "请选择报表：年度工作总结、季度工作小结或月度进展调度表。"
        )
    if format not in ReportFormat.values:
        raise ReportError("invalid_format", "请选择格式：Word 或 Excel。")
    program = _program(actor, program_id)
    period = check_period(program, kind, period)
    division, allocations = _region(actor, program)
    job = ReportJob.objects.create(
        program=program,
        kind=kind,
        period=period,
        format=format,
        division=division,
        whole_program=allocations is None,
        requested_by=actor,
    )
    if allocations:
        job.allocations.set(allocations)
    scope = "全部产品" if allocations is None else f"{division.name}的{len(allocations)}个产品"
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=job,
        changes={"after": model_snapshot(job)},
        detail=f"提交报表任务：{program.name}{job.title}（{job.get_format_display()}），{scope}",
    )
    # Imported here: the task module imports this one.
    from dibiao.reports.tasks import report_job_run

    # With the database queue the task row commits (or rolls back) with the job row.
    report_job_run.enqueue(job.pk)
    return job


def _claim(job_id: int) -> ReportJob | None:
    """Move the job from queued to running, or None if another worker already has it (a task
    delivered twice)."""
    with transaction.atomic():
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .select_related("program__province", "division")
            .get(pk=job_id)
        )
        if job.status != JobStatus.QUEUED:
            return None
        job.status = JobStatus.RUNNING
        job.done = job.total = 0
        job.error = ""
        job.save(update_fields=["status", "done", "total", "error"])
        return job


def _progress(job_id: int) -> Progress:
    def write(done: int, total: int) -> None:
        ReportJob.objects.filter(pk=job_id).update(done=min(done, total), total=total)

    return write


def report_job_execute(*, job_id: int) -> ReportJob | None:
    """Make the job's file (what the task runs). Not one transaction: the progress must be
    visible while the file is made. Returns the job, or None if it was not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    whole = job.whole_program
    try:
        data = report_build(
            job.program,
            kind=job.kind,
            period=job.period,
            format=job.format,
            division=None if whole else job.division,
            allocations=None if whole else list(job.allocations.all()),
            progress=_progress(job.pk),
        )
        job.file.save(
            f"{job.pk}-{secrets.token_hex(8)}.{job.format}", ContentFile(data), save=False
        )
    except Exception as exc:
        logger.exception("report job %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=f"生成失败：{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH],
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        done=F("total"),
        file=job.file.name,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job


@dataclass(frozen=True)
class ReportFile:
    handle: IO[bytes]
    filename: str
    content_type: str


def report_job_open(*, actor: User | None, job: ReportJob) -> ReportFile:
    """The finished file of a job (already fetched through the scoped selector), opened for
    download; the download is audited."""
    if job.status != JobStatus.DONE or not job.file:
        raise ReportError(
            "job_not_done", f"报表尚未生成（{job.get_status_display()}）。", status=409
        )
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise ReportError(
            "job_file_missing", "报表文件已不存在，请重新生成。", status=409
        ) from None
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=job,
        detail=f"下载报表：{job.program.name}{job.title}（{job.get_format_display()}）",
    )
    return ReportFile(
        handle=handle,
        filename=f"{job.title}.{job.format}",
        content_type=CONTENT_TYPES[ReportFormat(job.format)],
    )
