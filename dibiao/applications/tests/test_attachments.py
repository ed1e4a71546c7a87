"""Application materials (申报材料) are work-archive documents filed on the application page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dibiao.applications.tests.builders import draft
from dibiao.archive.models import ArchiveDocument
from dibiao.testing.files import pdf_upload

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_county_files_materials_from_the_application_page(county_admin, program, product):
    application = draft(county_admin, program, product)
    client = _client(county_admin)
    page = reverse("applications:application-detail", args=[application.pk])
    assert 'name="archive-file"' in client.get(page).content.decode()
    attach_url = reverse("archive:target-attach", args=["applications.application", application.pk])
    response = client.post(
        attach_url,
        {
            "archive-category": "document",
            "archive-document_date": "2022-03-01",
            "archive-description": "申报书",
            "archive-file": pdf_upload("申报书.pdf"),
            "next": page,
        },
        follow=True,
    )
    assert response.status_code == 200
    document = ArchiveDocument.objects.get()
    assert (document.original_name, document.division_id) == ("申报书.pdf", application.division_id)
    assert "申报书.pdf" in client.get(page).content.decode()


def test_another_county_cannot_file_on_the_application(
    county_admin, other_county_admin, program, product
):
    application = draft(county_admin, program, product)
    attach_url = reverse("archive:target-attach", args=["applications.application", application.pk])
    response = _client(other_county_admin).post(attach_url, {"archive-file": pdf_upload()})
    assert response.status_code == 404
    assert not ArchiveDocument.objects.exists()
