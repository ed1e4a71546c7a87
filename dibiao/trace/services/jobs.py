"""Label jobs (标签生成任务): a PDF label sheet or a CSV code list of a range of an issuance,
made in the background (`tasks.label_job_run`) so that a million codes never hold up a request.

A job goes queued → running → done, or failed with its error text. The worker writes the file
under MEDIA_ROOT/trace/labels/ as it goes (a `.part` file renamed when complete) and updates
`done` every few thousand codes, so the job page shows progress. The file is downloaded through
the scoped job page or API only (`label_job_open`), each download audited.

The QR codes carry absolute URLs: the origin is `DIBIAO_PUBLIC_URL`, else the host the job was
requested from (handed to the task with the job id, since the job row has no field for it).
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction, JobStatus
from dibiao.core.errors import ForbiddenError
from dibiao.trace import labels
from dibiao.trace.choices import LabelFormat, SegmentState
from dibiao.trace.errors import TraceError
from dibiao.trace.models import CodeIssuance, CodeSegment, LabelJob
from dibiao.trace.permissions.codes import can_make_labels
from dibiao.trace.services.codes import check_range

logger = logging.getLogger(__name__)

LABELS_DIR = "trace/labels"
# The job row is written at most every this many codes (and at the end).
PROGRESS_STEP = 5000
ERROR_MAX_LENGTH = 1000

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


def public_origin(request_origin: str = "") -> str:
    """Where the scan page lives: the configured public URL, else the requesting host."""
    return (settings.DIBIAO_PUBLIC_URL or request_origin).rstrip("/")


def job_extension(job: LabelJob) -> str:
    if job.format == LabelFormat.CSV:
        return "csv"
    return "zip" if labels.pdf_is_zip(job.format, job.total) else "pdf"


@transaction.atomic
def label_job_create(
    *,
    actor: User | None,
    issuance: CodeIssuance,
    first_serial: int,
    last_serial: int,
    format: str,
    origin: str = "",
) -> LabelJob:
    """Queue a label file for [first_serial, last_serial] of the issuance. Voided codes get
    no labels: a range holding any is refused."""
    issuance = CodeIssuance.objects.select_related("producer", "product").get(pk=issuance.pk)
    if actor is not None and not can_make_labels(actor, issuance):
        raise ForbiddenError("只有被授权主体或其所在县的县级管理员可以生成标签文件。")
    if format not in LabelFormat.values:
        raise TraceError("invalid_format", "请选择标签文件格式。")
    first, last = check_range(issuance, first_serial, last_serial)
    voided = (
        CodeSegment.objects.filter(
            issuance=issuance,
            state=SegmentState.VOIDED,
            first_serial__lte=last,
            last_serial__gte=first,
        )
        .order_by("first_serial")
        .first()
    )
    if voided is not None:
        low, high = max(voided.first_serial, first), min(voided.last_serial, last)
        raise TraceError("range_conflict", f"序号 {low}–{high} 已作废，不能生成标签。", status=409)
    base = public_origin(origin)
    if not base.startswith(("http://", "https://")):
        raise TraceError(
            "public_url_missing",
            "未配置公开网址（DIBIAO_PUBLIC_URL），无法生成二维码网址；请联系系统管理员。",
        )
    job = LabelJob.objects.create(
        issuance=issuance,
        first_serial=first,
        last_serial=last,
        format=format,
        total=last - first + 1,
        origin=base,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=job,
        changes={"after": model_snapshot(job)},
        detail=f"生成标签文件（{job.get_format_display()}）：发放 {issuance.number} 序号 "
        f"{first}–{last}，共 {job.total:,} 枚",
    )
    # Imported here: the task module imports this one.
    from dibiao.trace.tasks import label_job_run

    # With the database queue the task row commits (or rolls back) with the job row, so a
    # job is never left without its task, nor a task without its job.
    label_job_run.enqueue(job.pk)
    return job


class _Progress:
    """Writes `done` to the job row every PROGRESS_STEP codes (each write its own commit, so
    the job page sees it while the file is still being made)."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.written = 0

    def __call__(self, done: int) -> None:
        if done - self.written >= PROGRESS_STEP:
            LabelJob.objects.filter(pk=self.job_id).update(done=done)
            self.written = done


def _claim(job_id: int) -> LabelJob | None:
    """Move the job from queued to running, or None if another worker already has it (a task
    delivered twice)."""
    with transaction.atomic():
        job = (
            LabelJob.objects.select_for_update(of=("self",))
            .select_related("issuance__product")
            .get(pk=job_id)
        )
        if job.status != JobStatus.QUEUED:
            return None
        job.status = JobStatus.RUNNING
        job.done = 0
        job.error = ""
        job.save(update_fields=["status", "done", "error"])
        return job


def _render(job: LabelJob, target: IO[bytes], origin: str) -> None:
    progress = _Progress(job.pk)
    if job.format == LabelFormat.CSV:
        labels.write_csv(
            target,
            key_id=job.issuance.key_id,
            first=job.first_serial,
            last=job.last_serial,
            origin=origin,
            progress=progress,
        )
    else:
        labels.write_pdf(
            target,
            issuance=job.issuance,
            first=job.first_serial,
            last=job.last_serial,
            layout=job.format,
            progress=progress,
            origin=origin,
        )


def label_job_execute(*, job_id: int) -> LabelJob | None:
    """Make the job's file (what the task runs). Not one transaction: the progress must be
    visible while the file is made. Returns the job, or None if it was not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    issuance = job.issuance
    name = (
        f"{LABELS_DIR}/{issuance.number}-{job.first_serial}-{job.last_serial}-"
        f"{secrets.token_hex(8)}.{job_extension(job)}"
    )
    path = os.path.join(settings.MEDIA_ROOT, name)
    partial = f"{path}.part"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        with open(partial, "wb") as target:
            _render(job, target, public_origin(job.origin))
        os.replace(partial, path)
    except Exception as exc:
        logger.exception("label job %s failed", job.pk)
        if os.path.exists(partial):
            os.remove(partial)
        LabelJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=f"生成失败：{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH],
            finished_at=timezone.now(),
        )
        job.refresh_from_db()
        return job
    LabelJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, done=job.total, file=name, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@dataclass(frozen=True)
class LabelFile:
    handle: IO[bytes]
    filename: str
    content_type: str


def label_job_open(*, actor: User | None, job: LabelJob) -> LabelFile:
    """The finished file of a job, opened for download; the download is audited (the file
    holds valid label codes)."""
    issuance = job.issuance
    if actor is not None and not can_make_labels(actor, issuance):
        raise ForbiddenError("只有被授权主体或其所在县的县级管理员可以下载标签文件。")
    if job.status != JobStatus.DONE or not job.file:
        raise TraceError(
            "job_not_done", f"标签文件尚未生成（{job.get_status_display()}）。", status=409
        )
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise TraceError("job_file_missing", "标签文件已不存在，请重新生成。", status=409) from None
    extension = job_extension(job)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        obj=job,
        detail=f"下载标签文件：发放 {issuance.number} 序号 {job.first_serial}–{job.last_serial}",
    )
    return LabelFile(
        handle=handle,
        filename=f"标签-{issuance.number}-{job.first_serial}-{job.last_serial}.{extension}",
        content_type=CONTENT_TYPES[extension],
    )
