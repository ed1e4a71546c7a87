from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.services import archive_withdraw
from dibiao.archive.tests.support import attach
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role
from dibiao.testing.files import HTML, PDF, image_bytes, pdf_upload, upload, xlsx_bytes
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/archive/"


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _upload(client, product, file, **data):
    values = {
        "target_type": "registry.giproduct",
        "target_id": product.pk,
        "category": ArchiveCategory.ACCEPTANCE,
        "document_date": "2026-03-15",
        "description": "县级验收报告",
        "file": file,
        **data,
    }
    return client.post(LIST_URL, values, format="multipart")


# --- upload ------------------------------------------------------------------------------------


def test_upload_creates_a_document(tree, county_admin, own):
    response = _upload(api_as(county_admin), own, upload("资金明细.xlsx", xlsx_bytes()))

    assert response.status_code == 201
    body = response.json()
    document = ArchiveDocument.objects.get()
    assert body["id"] == document.pk
    assert body["target_type"] == "registry.giproduct"
    assert body["target_id"] == own.pk
    assert body["target"] == "清徐葡萄"
    assert body["division"] == {"code": "140121", "name": tree["c1a"].name, "level": "county"}
    assert body["organization"] is None
    assert body["category"] == "acceptance"
    assert body["category_display"] == "验收材料"
    assert body["kind"] == "xlsx"
    assert body["original_name"] == body["file_name"] == "资金明细.xlsx"
    assert body["sha256"] == document.sha256
    assert body["withdrawn"] is False
    assert body["download_url"] == f"/api/v1/archive/{document.pk}/download/"
    assert AuditLog.objects.filter(action=AuditAction.CREATE).count() == 1


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (upload("现场照片.png", HTML, "image/png"), "file_type_not_allowed"),
        (upload("空白.pdf", b"", "application/pdf"), "empty_file"),
        (upload("坏图.png", image_bytes()[:30], "image/png"), "invalid_image"),
    ],
)
def test_refused_uploads_have_coded_errors(county_admin, own, file, code):
    response = _upload(api_as(county_admin), own, file)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not ArchiveDocument.objects.exists()


def test_html_renamed_png_is_refused_with_the_detected_kind(county_admin, own):
    response = _upload(api_as(county_admin), own, upload("现场照片.png", HTML, "image/png"))
    assert "HTML 网页" in response.json()["message"]


def test_oversized_upload_is_refused(county_admin, own, settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 50
    response = _upload(api_as(county_admin), own, upload("大.pdf", PDF + b"x" * 100))
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"


def test_another_countys_product_is_reported_like_a_missing_one(county_admin, foreign):
    client = api_as(county_admin)

    out_of_scope = _upload(client, foreign, pdf_upload())
    missing = _upload(client, foreign, pdf_upload(), target_id=foreign.pk + 1000)

    assert out_of_scope.status_code == missing.status_code == 400
    assert out_of_scope.json() == missing.json()
    assert out_of_scope.json()["code"] == "invalid_target"
    assert not ArchiveDocument.objects.exists()


def test_unknown_target_type_is_refused(county_admin, own):
    response = _upload(api_as(county_admin), own, pdf_upload(), target_type="accounts.user")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_target_type"


def test_a_role_that_may_not_attach_is_403(tree):
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=tree["c1a"])
    product = ProductFactory.create(divisions=[tree["c1a"]], certificate_holder=lab)
    lab_user = user_with_role(Role.LAB, tree["c1a"], organization=lab)

    response = _upload(api_as(lab_user), product, pdf_upload())

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_missing_fields_are_invalid(county_admin, own):
    response = api_as(county_admin).post(LIST_URL, {"target_type": "x"}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"target_id", "category", "document_date", "file"} <= body["errors"].keys()


def test_json_upload_is_unsupported(county_admin, own):
    response = api_as(county_admin).post(LIST_URL, {"target_type": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_anonymous_is_401():
    assert api_as(None).get(LIST_URL).status_code == 401


def test_producer_upload_is_filed_under_its_organization(producer, holder, own):
    response = _upload(
        api_as(producer), own, upload("基地.png", image_bytes()), category=ArchiveCategory.PHOTO
    )
    assert response.status_code == 201
    assert response.json()["organization"] == {"id": holder.pk, "name": holder.name}


# --- list and detail ---------------------------------------------------------------------------


def test_list_is_scoped_and_filtered(county_admin, other_county_admin, own, foreign):
    pdf = attach(county_admin, own)
    photo = attach(
        county_admin, own, upload=upload("照片.png", image_bytes()), category=ArchiveCategory.PHOTO
    )
    attach(other_county_admin, foreign)
    client = api_as(county_admin)

    def ids(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return sorted(row["id"] for row in response.json()["results"])

    assert ids() == sorted([pdf.pk, photo.pk])
    assert ids(category="photo") == [photo.pk]
    assert ids(target_type="registry.giproduct", target_id=own.pk) == sorted([pdf.pk, photo.pk])
    assert ids(target_type="registry.giproduct", target_id=foreign.pk) == []
    assert ids(q="照片") == [photo.pk]
    archive_withdraw(actor=county_admin, document=pdf, reason="传错")
    assert ids() == [photo.pk]
    assert ids(include_withdrawn="true") == sorted([pdf.pk, photo.pk])
    paged = client.get(LIST_URL, {"page_size": "1", "include_withdrawn": "true"}).json()
    assert paged["count"] == 2
    assert len(paged["results"]) == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"target_type": "accounts.user"}, "invalid_target_type"),
        ({"date_from": "2026-02-30"}, "invalid"),
        ({"category": "poster"}, "invalid"),
    ],
)
def test_bad_list_filters_are_coded_errors(county_admin, params, code):
    response = api_as(county_admin).get(LIST_URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_detail_download_and_withdraw_of_another_countys_document_are_404(
    county_admin, other_county_admin, foreign
):
    document = attach(other_county_admin, foreign)
    client = api_as(county_admin)

    for response in (
        client.get(f"{LIST_URL}{document.pk}/"),
        client.get(f"{LIST_URL}{document.pk}/download/"),
        client.post(f"{LIST_URL}{document.pk}/withdraw/", {"reason": "越权"}, format="json"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    document.refresh_from_db()
    assert not document.is_withdrawn


def test_download_headers(county_admin, own):
    document = attach(county_admin, own, upload=pdf_upload("验收报告.pdf"))

    response = api_as(county_admin).get(f"{LIST_URL}{document.pk}/download/")

    assert response.status_code == 200
    assert streamed(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_withdraw_then_conflict(county_admin, own):
    document = attach(county_admin, own)
    client = api_as(county_admin)
    url = f"{LIST_URL}{document.pk}/withdraw/"

    assert client.post(url, {}, format="json").json()["code"] == "invalid"
    first = client.post(url, {"reason": "传错了"}, format="json")
    second = client.post(url, {"reason": "再撤"}, format="json")

    assert first.status_code == 200
    assert first.json()["withdrawn"] is True
    assert first.json()["withdraw_reason"] == "传错了"
    assert second.status_code == 409
    assert second.json()["code"] == "already_withdrawn"
    # Withdrawn documents are still readable by id.
    assert client.get(f"{LIST_URL}{document.pk}/").json()["withdrawn"] is True


def test_schema_documents_the_archive_endpoints(county_admin):
    response = api_as(county_admin).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/archive/",
        "/api/v1/archive/{id}/",
        "/api/v1/archive/{id}/download/",
        "/api/v1/archive/{id}/withdraw/",
    } <= paths.keys()
    assert "multipart/form-data" in paths["/api/v1/archive/"]["post"]["requestBody"]["content"]
