"""Report jobs (报表任务): queued and run by the database worker with their progress, the scope
they were requested in (a county's file holds its products; another county gets 404), coded
refusals that write nothing, failures kept with their error, the pages (form, list, job page
with its htmx progress, download) and the audit of creation and download."""

# ruff: noqa: F811 (fixtures imported from jobs_fixtures are the tests' parameters)

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction, JobStatus
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.evaluation.indicators import CATALOGUE
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.services import program_create, program_transition
from dibiao.reports import selectors, services
from dibiao.reports.errors import ReportError
from dibiao.reports.models import ReportJob
from dibiao.reports.tests.jobs_fixtures import (  # noqa: F401 (fixtures)
    allocations,
    client_as,
    clock,
    content,
    docx_text,
    immediate_tasks,
    products,
    program,
    queued,
    request_job,
    xlsx_products,
)
from dibiao.testing.factories import division_tree, user_with_role

pytestmark = pytest.mark.django_db

ALL = ["沁水蜂蜜", "清徐葡萄", "阳高京杏"]


def _audit(action: str):
    return AuditLog.objects.filter(object_type="reports.reportjob", action=action)


# --- Running ---------------------------------------------------------------------------------


def test_a_queued_job_is_run_by_the_database_worker_to_its_total(
    queued, monkeypatch, allocations, program, province_admin
):
    # Between tasks the worker closes a connection it finds inside a transaction; here that is
    # the test's own (the worker runs in the test's thread), so it is kept open.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    job = request_job(province_admin, program)
    assert job.status == JobStatus.QUEUED
    assert (job.done, job.total) == (0, 0)
    assert not job.file
    assert job.whole_program
    assert job.division == program.province

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.total == len(CATALOGUE) + 1 + 3 + 1
    assert job.done == job.total
    assert job.percent == 100
    assert job.finished_at is not None
    with job.file.open("rb") as handle:
        text = docx_text(handle.read())
    assert all(name in text for name in ALL)


def test_progress_is_written_to_the_job_as_the_builder_goes(
    allocations, program, province_admin, monkeypatch
):
    seen: list[tuple[int, int]] = []
    write = services._progress

    def spy(job_id: int):
        inner = write(job_id)

        def record(done: int, total: int) -> None:
            inner(done, total)
            row = ReportJob.objects.get(pk=job_id)
            seen.append((row.done, row.total))

        return record

    monkeypatch.setattr(services, "_progress", spy)
    job = request_job(province_admin, program, kind="monthly", period=12, fmt="xlsx")
    assert job.status == JobStatus.DONE
    assert seen == [(1, 2), (2, 2)]


def test_a_job_delivered_twice_is_made_once(allocations, program, county_admin):
    job = request_job(county_admin, program, kind="quarterly", period=4)
    name = job.file.name
    assert services.report_job_execute(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.file.name == name


def test_a_failed_job_keeps_its_error_and_has_no_file(
    allocations, program, county_admin, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(services, "report_build", broken)
    job = request_job(county_admin, program)
    assert job.status == JobStatus.FAILED
    assert "磁盘已满" in job.error
    assert job.finished_at is not None
    with pytest.raises(ReportError) as caught:
        services.report_job_open(actor=county_admin, job=job)
    assert caught.value.code == "job_not_done"
    assert caught.value.status == 409
    page = client_as(county_admin).get(f"/reports/jobs/{job.pk}/")
    assert "磁盘已满" in page.content.decode()
    assert "重新提交" in page.content.decode()


# --- Scope -----------------------------------------------------------------------------------


def test_a_county_job_holds_the_countys_products_and_keeps_that_scope(
    allocations, program, county_admin
):
    job = request_job(county_admin, program, kind="monthly", period=12, fmt="xlsx")
    assert job.status == JobStatus.DONE
    assert not job.whole_program
    assert job.division.pk == allocations["a"].division_id
    assert list(job.allocations.all()) == [allocations["a"]]
    with job.file.open("rb") as handle:
        assert xlsx_products(handle.read()) == ["清徐葡萄"]


def test_a_city_job_holds_its_counties_products(allocations, program, city_admin, tree):
    job = request_job(city_admin, program, fmt="xlsx")
    assert job.division == tree["c1"]
    with job.file.open("rb") as handle:
        assert sorted(xlsx_products(handle.read())) == ["清徐葡萄", "阳高京杏"]


def test_a_county_user_cannot_see_another_countys_job(
    allocations, program, county_admin, other_county_admin, city_admin, province_admin, tree
):
    job = request_job(county_admin, program)
    county_b = user_with_role(Role.COUNTY_ADMIN, tree["c1b"])
    for stranger in (other_county_admin, county_b):
        with pytest.raises(NotFoundError):
            selectors.report_job_get_for_user(user=stranger, pk=job.pk)
        client = client_as(stranger)
        for url in ("", "progress/", "download/"):
            assert client.get(f"/reports/jobs/{job.pk}/{url}").status_code == 404
        assert job not in selectors.report_job_list_for_user(user=stranger)
    # The levels above the county see it; so does its requester.
    for reader in (city_admin, province_admin, county_admin):
        assert selectors.report_job_get_for_user(user=reader, pk=job.pk) == job
    assert not _audit(AuditAction.EXPORT).exists()


def test_the_requester_keeps_its_job_after_leaving_the_division(
    allocations, program, county_admin, tree
):
    job = request_job(county_admin, program)
    # Moved to another county: the old county's jobs are not in its scope, its own job is.
    membership = county_admin.memberships.get()
    membership.organization.division = tree["c2b"]
    membership.organization.save()
    county_admin = type(county_admin).objects.get(pk=county_admin.pk)
    assert selectors.report_job_get_for_user(user=county_admin, pk=job.pk) == job
    other = request_job(user_with_role(Role.COUNTY_ADMIN, tree["c1a"]), program)
    with pytest.raises(NotFoundError):
        selectors.report_job_get_for_user(user=county_admin, pk=other.pk)


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "period", "fmt", "code"),
    [
        ("quarterly", 5, "docx", "bad_quarter"),
        ("quarterly", None, "docx", "bad_quarter"),
        ("monthly", 13, "xlsx", "bad_month"),
        ("monthly", 0, "xlsx", "bad_month"),
        ("weekly", 1, "docx", "invalid_kind"),
        ("annual", None, "pdf", "invalid_format"),
    ],
)
def test_bad_input_is_a_coded_error_and_writes_nothing(
    allocations, program, county_admin, kind, period, fmt, code
):
    with pytest.raises(ReportError) as caught:
        request_job(county_admin, program, kind=kind, period=period, fmt=fmt)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert not ReportJob.objects.exists()
    assert not _audit(AuditAction.CREATE).exists()


def test_a_program_out_of_scope_or_not_under_way_is_refused(
    allocations, program, county_admin, province_admin
):
    elsewhere = division_tree("150000")["p"]
    other = program_create(
        actor=None,
        province=elsewhere,
        year=2021,
        name="邻省保护工程",
        total_budget="1000000.00",
        annual_summary_deadline=dt.date(2021, 11, 30),
    )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        other = program_transition(actor=None, program=other, status=status)
    draft = program_create(
        actor=province_admin,
        province=program.province,
        year=2022,
        name="2022年地理标志农产品保护工程",
        total_budget="1000000.00",
        annual_summary_deadline=dt.date(2022, 11, 30),
    )
    for program_id in (other.pk, draft.pk, 10**12):
        with pytest.raises(ReportError) as caught:
            services.report_job_create(
                actor=county_admin, program_id=program_id, kind="annual", period=None, format="docx"
            )
        assert caught.value.code == "program_out_of_scope"
    assert not ReportJob.objects.exists()


def test_only_government_users_request_reports(allocations, program, lab_user, auditor):
    for user in (lab_user, auditor):
        with pytest.raises(ForbiddenError):
            request_job(user, program)
        assert client_as(user).get("/reports/jobs/new/").status_code == 403
        assert client_as(user).get("/reports/jobs/").status_code == 403
    assert not ReportJob.objects.exists()


# --- Pages -----------------------------------------------------------------------------------


def test_the_form_creates_a_job_and_the_job_page_offers_its_file(
    allocations, program, county_admin
):
    client = client_as(county_admin)
    form = client.get(f"/reports/jobs/new/?program={program.pk}")
    assert form.status_code == 200
    assert program.name in form.content.decode()

    response = client.post(
        "/reports/jobs/new/",
        {
            "program": program.pk,
            "kind": "quarterly",
            "quarter": "4",
            "month": "1",
            "format": "docx",
        },
        follow=True,
    )
    job = ReportJob.objects.get()
    assert job.period == 4
    html = response.content.decode()
    assert response.redirect_chain == [(f"/reports/jobs/{job.pk}/", 302)]
    assert "2021年第4季度工作小结" in html
    assert "hx-get" not in html  # done: no more polling
    assert f'href="/reports/jobs/{job.pk}/download/"' in html

    download = client.get(f"/reports/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    assert "2021%E5%B9%B4" in download["Content-Disposition"]  # 2021年…, UTF-8 encoded
    assert "清徐葡萄" in docx_text(content(download))
    row = _audit(AuditAction.EXPORT).get()
    assert row.user_id == county_admin.pk
    assert row.object_id == str(job.pk)
    assert "下载报表" in row.detail
    created = _audit(AuditAction.CREATE).get()
    assert created.user_id == county_admin.pk
    assert "县" in created.detail


def test_the_form_shows_a_bad_period_as_a_400_and_writes_nothing(
    allocations, program, county_admin
):
    response = client_as(county_admin).post(
        "/reports/jobs/new/",
        {"program": program.pk, "kind": "monthly", "month": "13", "format": "xlsx"},
    )
    assert response.status_code == 400
    assert "月份须为1至12" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_a_running_job_page_polls_its_progress(queued, allocations, program, county_admin):
    job = request_job(county_admin, program)
    client = client_as(county_admin)
    page = client.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/reports/jobs/{job.pk}/progress/"' in page
    assert "排队中" in page
    assert "/download/" not in page

    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, done=7, total=28)
    box = client.get(f"/reports/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    html = box.content.decode()
    assert "7 / 28 步（25%）" in html
    assert 'hx-trigger="every 2s"' in html
    assert "<html" not in html  # the box alone

    download = client.get(f"/reports/jobs/{job.pk}/download/", follow=True)
    assert "报表尚未生成" in download.content.decode()
    assert not _audit(AuditAction.EXPORT).exists()


def test_the_list_shows_the_jobs_newest_first_by_pages(allocations, program, county_admin):
    client = client_as(county_admin)
    empty = client.get("/reports/jobs/").content.decode()
    assert "还没有报表任务" in empty

    for month in range(1, 13):
        request_job(county_admin, program, kind="monthly", period=month, fmt="xlsx")
    for month in range(1, 10):
        request_job(county_admin, program, kind="monthly", period=month, fmt="docx")
    first = client.get("/reports/jobs/").content.decode()
    assert "第 1 / 2 页，共 21 条" in first
    assert first.index("2021年9月进展调度表") < first.index("2021年8月进展调度表")
    second = client.get("/reports/jobs/?page=2").content.decode()
    assert "2021年1月进展调度表" in second


def test_the_old_reports_address_leads_to_the_new_page(program, county_admin):
    client = client_as(county_admin)
    response = client.get(f"/evaluation/reports/?program={program.pk}")
    assert response.status_code == 302
    assert response["Location"] == f"/reports/jobs/new/?program={program.pk}"
    assert client.get("/evaluation/reports/")["Location"] == "/reports/jobs/new/"
    indicators = client.get(f"/evaluation/indicators/?program={program.pk}").content.decode()
    assert "/evaluation/reports/" in indicators  # the evaluation pages' subnav still links it
