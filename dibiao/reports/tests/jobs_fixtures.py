"""Fixtures and helpers of the report-job tests (imported by the test modules: pytest loads
fixtures only from conftest.py).

The data are the evaluation tests' (`dibiao/evaluation/tests/conftest.py`): the clock on
2022-01-15 and the 2021 program implementing 清徐葡萄 in county c1a (county_admin's), 阳高京杏 in
c1b (the same city, c1: city_admin's) and 沁水蜂蜜 in c2a (other_county_admin's). Tasks run at
once (django-tasks' immediate backend) unless a test puts the database queue back.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dibiao.accounts.models import User
from dibiao.evaluation.tests.conftest import allocations, clock, products, program
from dibiao.projects.models import Program
from dibiao.reports import services
from dibiao.reports.models import ReportJob

__all__ = ["allocations", "clock", "products", "program"]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def queued(settings: Any) -> None:
    """Jobs stay queued until `db_worker` runs them."""
    settings.TASKS = DATABASE_QUEUE


def request_job(
    user: User, program: Program, kind: str = "annual", period: int | None = None, fmt: str = "docx"
) -> ReportJob:
    job = services.report_job_create(
        actor=user, program_id=program.pk, kind=kind, period=period, format=fmt
    )
    job.refresh_from_db()
    return job


def client_as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def content(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def xlsx_products(data: bytes) -> list[str]:
    """The product column of a report workbook, between the header and the totals."""
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    return [str(row[1]) for row in rows[1:-1]]
