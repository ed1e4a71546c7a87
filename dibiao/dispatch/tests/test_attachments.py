"""Attachments (附件) of dispatch reports: work-archive documents uploaded on the report's page
and listed (without an upload form, which cannot sit inside the report's form) on its form."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.exports import archive_zip_for_product
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.targets import target_type_for
from dibiao.dispatch.models import CriticismNotice, DispatchReport, InspectionVisit
from dibiao.dispatch.tests.conftest import JULY, file_report
from dibiao.testing.files import pdf_upload

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _attach_url(report: DispatchReport) -> str:
    return reverse("archive:target-attach", args=["dispatch.dispatchreport", report.pk])


def _upload(client: Client, report: DispatchReport, name: str = "年度总结.pdf", **extra):
    return client.post(
        _attach_url(report),
        {
            "archive-category": ArchiveCategory.DOCUMENT,
            "archive-document_date": "2022-08-01",
            "archive-description": "盖章扫描件",
            "archive-file": pdf_upload(name),
            **extra,
        },
    )


def _documents(report: DispatchReport):
    return ArchiveDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(report), object_id=report.pk
    )


def test_county_uploads_on_the_report_page_and_sees_it_listed(clock, county_admin, allocation):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation)
    page = reverse("dispatch:report-detail", args=[report.pk])
    client = client_as(county_admin)

    response = _upload(client, report, next=f"{page}#attachments")

    assert response["Location"] == f"{page}#attachments"
    document = _documents(report).get()
    assert document.division == allocation.division
    html = client.get(page).content.decode()
    assert reverse("archive:document-download", args=[document.pk]) in html
    assert f'action="{_attach_url(report)}"' in html


def test_report_form_lists_attachments_without_a_nested_upload_form(
    clock, county_admin, allocation
):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation, submit=False)
    _upload(client_as(county_admin), report, name="草稿附件.pdf")
    edit = reverse("dispatch:report-edit", args=[allocation.pk, "monthly", JULY.isoformat()])

    html = client_as(county_admin).get(edit).content.decode()

    assert "草稿附件.pdf" in html
    assert "archive-file" not in html
    assert f'action="{_attach_url(report)}"' not in html


def test_new_report_form_says_attachments_come_after_saving(clock, county_admin, allocation):
    clock.move_to(dt.date(2022, 8, 3))
    edit = reverse("dispatch:report-edit", args=[allocation.pk, "monthly", JULY.isoformat()])

    html = client_as(county_admin).get(edit).content.decode()

    assert "保存草稿后可在报告页面上传附件" in html


def test_another_county_cannot_attach_to_the_report(
    clock, county_admin, other_county_admin, allocation
):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation)

    assert _upload(client_as(other_county_admin), report).status_code == 404
    assert not _documents(report).exists()


def test_report_documents_go_in_the_products_zip(clock, county_admin, allocation):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation)
    _upload(client_as(county_admin), report, name="七月调度.pdf")

    export = archive_zip_for_product(user=county_admin, product=allocation.product)

    names = zipfile.ZipFile(io.BytesIO(export.file.read())).namelist()
    assert any(f"/进展调度报告-{report.pk} " in n and n.endswith("七月调度.pdf") for n in names)


def test_inspections_and_notices_are_attachable():
    assert target_type_for("dispatch.inspectionvisit").model is InspectionVisit
    assert target_type_for("dispatch.criticismnotice").model is CriticismNotice
