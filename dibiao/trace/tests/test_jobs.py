"""Label jobs: queued with their task, run by the worker into a file under MEDIA_ROOT with
progress, failed with their error, downloaded once done; a 200,000-code CSV in bounded
memory."""

# ruff: noqa: F811

from __future__ import annotations

import gc
import io
import os
import tracemalloc

import pytest
from django.conf import settings
from django.core.management import call_command

from dibiao.core.choices import AuditAction, JobStatus
from dibiao.core.errors import DomainError, ForbiddenError
from dibiao.core.models import AuditLog
from dibiao.producers.models import LabelAuthorization
from dibiao.trace import codes, labels
from dibiao.trace.choices import LabelFormat
from dibiao.trace.models import LabelJob
from dibiao.trace.services import codes as code_services
from dibiao.trace.services import jobs
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    ORIGIN,
    clock,
    county_c1a,
    decode_pdf_page,
    label_settings,
    other_world,
    product,
    world,
)

pytestmark = pytest.mark.django_db


def _job(world, issuance, first, last, fmt=LabelFormat.CSV, **kwargs) -> LabelJob:
    return jobs.label_job_create(
        actor=world.user,
        issuance=issuance,
        first_serial=first,
        last_serial=last,
        format=fmt,
        **kwargs,
    )


def _content(job: LabelJob) -> bytes:
    with job.file.open("rb") as handle:
        return handle.read()


def test_a_csv_job_runs_to_a_file_under_media_root(world):
    issuance = world.issue(1000)
    job = _job(world, issuance, 11, 20)
    job.refresh_from_db()

    assert job.status == JobStatus.DONE
    assert (job.done, job.total) == (10, 10)
    assert job.finished_at is not None
    name = str(job.file.name)
    assert name.startswith("trace/labels/LC-2026-000001-11-20-")
    assert name.endswith(".csv")
    path = os.path.join(settings.MEDIA_ROOT, name)
    assert os.path.isfile(path)
    assert not os.path.exists(f"{path}.part")
    rows = _content(job).decode().splitlines()
    assert rows[0] == "code,grouped,url"
    assert rows[1] == ",".join(
        [
            codes.encode(issuance.key_id, 11),
            codes.group(codes.encode(issuance.key_id, 11)),
            f"{ORIGIN}/t/{codes.encode(issuance.key_id, 11)}",
        ]
    )
    assert len(rows) == 11


def test_a_pdf_job_makes_a_label_sheet(world):
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 40, LabelFormat.PDF_A4)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert str(job.file.name).endswith(".pdf")
    urls = decode_pdf_page(_content(job))
    assert len(urls) == 40


def test_a_long_pdf_job_is_a_zip(world, monkeypatch):
    import dataclasses

    small = dataclasses.replace(labels.LAYOUTS[LabelFormat.PDF_ROLL_50X30], part_labels=2)
    monkeypatch.setitem(labels.LAYOUTS, LabelFormat.PDF_ROLL_50X30, small)
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 5, LabelFormat.PDF_ROLL_50X30)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert str(job.file.name).endswith(".zip")
    opened = jobs.label_job_open(actor=world.user, job=job)
    assert opened.content_type == "application/zip"
    assert opened.filename == "标签-LC-2026-000001-1-5.zip"
    opened.handle.close()


def test_the_origin_of_the_request_is_used_when_no_public_url_is_set(world, settings):
    settings.DIBIAO_PUBLIC_URL = ""
    issuance = world.issue(10)
    job = _job(world, issuance, 1, 1, origin="http://192.168.1.5:8000")
    job.refresh_from_db()
    url = _content(job).decode().splitlines()[1].split(",")[2]
    assert url == f"http://192.168.1.5:8000/t/{codes.encode(issuance.key_id, 1)}"


def test_without_any_origin_a_job_is_refused(world, settings):
    settings.DIBIAO_PUBLIC_URL = ""
    issuance = world.issue(10)
    with pytest.raises(DomainError) as caught:
        _job(world, issuance, 1, 10)
    assert caught.value.code == "public_url_missing"
    assert not LabelJob.objects.exists()


def test_a_range_holding_voided_codes_gets_no_labels(world):
    issuance = world.issue(100)
    code_services.codes_void(
        actor=world.user, issuance=issuance, first_serial=30, last_serial=39, reason="印刷错误"
    )
    with pytest.raises(DomainError) as caught:
        _job(world, issuance, 1, 100)
    assert caught.value.code == "range_conflict"
    assert "30–39" in caught.value.message
    assert _job(world, issuance, 40, 100).total == 61


@pytest.mark.parametrize(
    ("first", "last", "fmt", "code"),
    [
        (1, 101, LabelFormat.CSV, "range_outside_issuance"),
        (10, 5, LabelFormat.CSV, "invalid_range"),
        (1, 10, "docx", "invalid_format"),
    ],
)
def test_bad_job_requests_are_refused(world, first, last, fmt, code):
    issuance = world.issue(100)
    with pytest.raises(DomainError) as caught:
        _job(world, issuance, first, last, fmt)
    assert caught.value.code == code
    assert not LabelJob.objects.exists()


def test_who_may_make_label_files(world, county_c1a, other_county_admin, city_admin):
    issuance = world.issue(100)
    job = jobs.label_job_create(
        actor=county_c1a, issuance=issuance, first_serial=1, last_serial=5, format="csv"
    )
    assert job.created_by == county_c1a
    for actor in (other_county_admin, city_admin):
        with pytest.raises(ForbiddenError):
            jobs.label_job_create(
                actor=actor, issuance=issuance, first_serial=1, last_serial=5, format="csv"
            )
        with pytest.raises(ForbiddenError):
            jobs.label_job_open(actor=actor, job=job)


def test_creating_and_downloading_are_audited_as_exports(world):
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 10)
    job.refresh_from_db()
    jobs.label_job_open(actor=world.user, job=job).handle.close()
    rows = AuditLog.objects.filter(object_type="trace.labeljob", object_id=str(job.pk))
    assert [r.action for r in rows.order_by("id")] == [AuditAction.EXPORT, AuditAction.EXPORT]
    assert "下载标签文件" in rows.order_by("id")[1].detail


def test_a_failing_job_is_marked_failed_with_its_error_and_leaves_no_file(world, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr(labels, "write_csv", broken)
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 10)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "磁盘已满" in job.error
    assert not job.file
    labels_dir = os.path.join(settings.MEDIA_ROOT, "trace", "labels")
    assert os.listdir(labels_dir) == []
    with pytest.raises(DomainError) as caught:
        jobs.label_job_open(actor=world.user, job=job)
    assert caught.value.code == "job_not_done"


def test_a_job_runs_once_even_when_its_task_is_delivered_twice(world):
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 10)
    job.refresh_from_db()
    name = job.file.name
    assert jobs.label_job_execute(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.file.name == name


def test_progress_is_written_every_few_thousand_codes(world):
    issuance = world.issue(100)
    job = LabelJob.objects.create(
        issuance=issuance, first_serial=1, last_serial=100, format="csv", total=100
    )
    progress = jobs._Progress(job.pk)
    progress(jobs.PROGRESS_STEP - 1)
    job.refresh_from_db()
    assert job.done == 0
    progress(jobs.PROGRESS_STEP)
    job.refresh_from_db()
    assert job.done == jobs.PROGRESS_STEP


def test_a_queued_job_is_run_by_the_database_worker(world, settings, monkeypatch):
    # The settings fixture's change makes django-tasks forget the immediate backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Between tasks the worker closes a connection it finds inside a transaction; here that is
    # the test's own (the worker runs in the test's thread), so it is kept open.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    issuance = world.issue(100)
    job = _job(world, issuance, 1, 20)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert job.done == 0

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert len(_content(job).decode().splitlines()) == 21


def test_a_200000_code_csv_job_runs_in_bounded_memory(world):
    LabelAuthorization.objects.filter(pk=world.authorization.pk).update(authorized_quantity=200_000)
    issuance = world.issue(200_000)
    gc.collect()
    tracemalloc.start()
    try:
        job = _job(world, issuance, 1, 200_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.done == 200_000
    assert peak < 30 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    size = os.path.getsize(os.path.join(settings.MEDIA_ROOT, str(job.file.name)))
    assert size > 200_000 * 60  # the file holds every line (about 75 bytes each)
    with job.file.open("rb") as handle:
        handle.seek(-200, io.SEEK_END)
        tail = handle.read().decode()
    assert codes.encode(issuance.key_id, 200_000) in tail
