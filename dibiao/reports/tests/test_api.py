"""The report-jobs API: create (201, idempotent), list (paginated, scoped), detail (status and
progress), file (download when done, audited; 409 before); coded 400s that write nothing;
another county's job is a 404."""

# ruff: noqa: F811 (fixtures imported from jobs_fixtures are the tests' parameters)

from __future__ import annotations

import pytest
from django.core.management import call_command

from dibiao.core.choices import AuditAction, JobStatus
from dibiao.core.models import AuditLog
from dibiao.reports.models import ReportJob
from dibiao.reports.tests.jobs_fixtures import (  # noqa: F401 (fixtures)
    allocations,
    api_as,
    clock,
    content,
    immediate_tasks,
    products,
    program,
    queued,
    request_job,
    xlsx_products,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/report-jobs/"


def test_create_answers_201_with_the_job_and_a_repeated_key_makes_no_second(
    allocations, program, county_admin
):
    client = api_as(county_admin)
    body = {"program": program.pk, "kind": "monthly", "period": 12, "format": "xlsx"}
    created = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="dispatch-2021-12")
    assert created.status_code == 201
    job = created.json()
    assert job["kind"] == "monthly"
    assert job["period"] == 12
    assert job["title"] == "2021年12月进展调度表"
    assert job["status"] == JobStatus.DONE
    assert job["done"] == job["total"] == 2
    assert job["percent"] == 100
    assert job["whole_program"] is False
    assert job["division"]["code"] == allocations["a"].division.code
    assert job["requested_by"]["id"] == county_admin.pk
    assert job["download_url"] == f"{URL}{job['id']}/file/"

    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="dispatch-2021-12")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == job["id"]
    assert ReportJob.objects.count() == 1

    download = client.get(job["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert xlsx_products(content(download)) == ["清徐葡萄"]
    audit = AuditLog.objects.get(object_type="reports.reportjob", action=AuditAction.EXPORT)
    assert audit.user_id == county_admin.pk


def test_list_and_detail_are_scoped_and_another_county_gets_404(
    allocations, program, county_admin, other_county_admin, city_admin
):
    own = request_job(county_admin, program)
    theirs = request_job(other_county_admin, program, kind="quarterly", period=2)

    listed = api_as(county_admin).get(URL).json()
    assert listed["count"] == 1
    assert [row["id"] for row in listed["results"]] == [own.pk]
    city = api_as(city_admin).get(URL).json()
    assert [row["id"] for row in city["results"]] == [own.pk]

    client = api_as(county_admin)
    detail = client.get(f"{URL}{own.pk}/")
    assert detail.status_code == 200
    assert detail.json()["status"] == JobStatus.DONE
    for url in (f"{URL}{theirs.pk}/", f"{URL}{theirs.pk}/file/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_file_of_a_job_not_done_is_a_409(queued, allocations, program, province_admin):
    client = api_as(province_admin)
    created = client.post(
        URL, {"program": program.pk, "kind": "annual", "format": "docx"}, format="json"
    )
    assert created.status_code == 201
    job = created.json()
    assert job["status"] == JobStatus.QUEUED
    assert job["download_url"] is None
    response = client.get(f"{URL}{job['id']}/file/")
    assert response.status_code == 409
    assert response.json()["code"] == "job_not_done"


def test_the_worker_moves_the_detail_to_done(queued, monkeypatch, allocations, program, city_admin):
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    client = api_as(city_admin)
    job = client.post(
        URL, {"program": program.pk, "kind": "quarterly", "period": 3, "format": "xlsx"}
    ).json()
    assert (job["done"], job["total"], job["percent"]) == (0, 0, 0)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    done = client.get(f"{URL}{job['id']}/").json()
    assert done["status"] == JobStatus.DONE
    assert done["done"] == done["total"] > 0
    assert sorted(xlsx_products(content(client.get(done["download_url"])))) == [
        "清徐葡萄",
        "阳高京杏",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "quarterly", "period": 5, "format": "docx"}, "bad_quarter"),
        ({"kind": "quarterly", "format": "docx"}, "bad_quarter"),
        ({"kind": "monthly", "period": 13, "format": "xlsx"}, "bad_month"),
        ({"kind": "weekly", "format": "xlsx"}, "invalid"),
        ({"kind": "annual", "format": "pdf"}, "invalid"),
        ({"program": 10**12, "kind": "annual", "format": "docx"}, "program_out_of_scope"),
        ({"program": "x", "kind": "annual", "format": "docx"}, "invalid"),
    ],
)
def test_bad_input_is_a_coded_400_and_writes_nothing(
    allocations, program, county_admin, body, code
):
    response = api_as(county_admin).post(URL, {"program": program.pk, **body}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not ReportJob.objects.exists()
    assert not AuditLog.objects.filter(object_type="reports.reportjob").exists()


def test_a_producer_or_lab_gets_403(allocations, program, lab_user):
    client = api_as(lab_user)
    assert client.get(URL).status_code == 403
    response = client.post(
        URL, {"program": program.pk, "kind": "annual", "format": "docx"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not ReportJob.objects.exists()
