"""API v1 of test reports and grading schemes: list/detail/create/correct, the PDF, regrade,
scheme read/replace; coded errors, idempotency, scoped 404s. Helpers: report_fixtures.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.production import models
from dibiao.production.tests.report_fixtures import (
    SAMPLED,
    TESTED,
    criterion,
    grade,
    grape_scheme,
    item,
    lab_of,
    new_lab,
    nutrition,
    record,
    sample_in,
)
from dibiao.testing.files import HTML, PDF, pdf_upload, upload
from dibiao.testing.responses import streamed

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def lab(lab_user):
    return lab_of(lab_user)


def _body(sample, **extra) -> dict:
    return {
        "kind": "nutrition",
        "report_number": "API-1",
        "product": sample.product.pk,
        "producer": sample.producer.pk,
        "base": sample.base.pk,
        "sample_code": "YP-API",
        "sampled_on": SAMPLED.isoformat(),
        "tested_on": TESTED.isoformat(),
        "items": [
            {"name": "可溶性固形物", "category": "nutrition", "value": "18.6", "unit": "%"},
            {"name": "总酸", "category": "nutrition", "value": "0.45", "unit": "%"},
            {"name": "毒死蜱", "value": "0.02", "unit": "mg/kg", "limit_max": "0.5"},
        ],
        **extra,
    }


# --- Reports -------------------------------------------------------------------------------------


def test_a_lab_records_a_report_and_gets_the_derived_result_and_grade(
    province_admin, lab_user, lab, sample
):
    grape_scheme(province_admin, sample.product)

    response = api_as(lab_user).post("/api/v1/test-reports/", _body(sample), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lab"] == {"id": lab.pk, "name": lab.name}
    assert body["result"] == "pass"
    assert body["grade"]["name"] == "特级"
    assert body["file_url"] is None
    assert [i["passed"] for i in body["items"]] == [True, True, True]
    assert body["items"][2]["limit_max"] == "0.5000"


def test_typed_result_or_grade_are_ignored(lab_user, sample):
    response = api_as(lab_user).post(
        "/api/v1/test-reports/",
        _body(
            sample,
            result="pass",
            grade=1,
            items=[{"name": "铅", "value": "0.9", "limit_max": "0.2", "passed": True}],
        ),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["result"] == "fail"
    assert response.json()["items"][0]["passed"] is False


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"items": []}, 400, "invalid"),
        ({"items": [{"name": "铅", "value": "x"}]}, 400, "invalid"),
        (
            {"items": [{"name": "铅", "value": "1"}, {"name": "铅", "value": "2"}]},
            400,
            "duplicate_item",
        ),
        ({"tested_on": "2000-01-01"}, 400, "invalid_dates"),
        ({"sample_code": ""}, 400, "invalid"),
        ({"kind": "taste"}, 400, "invalid"),
    ],
    ids=["no-items", "bad-value", "duplicate-item", "tested-before-sampled", "no-sample", "kind"],
)
def test_bad_reports_are_refused_with_a_code(lab_user, sample, change, status, code):
    response = api_as(lab_user).post(
        "/api/v1/test-reports/", _body(sample, **change), format="json"
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not models.TestReport.objects.exists()


def test_a_duplicate_report_number_is_a_409(lab_user, lab, sample):
    record(lab_user, sample, lab=lab, number="API-1")
    response = api_as(lab_user).post("/api/v1/test-reports/", _body(sample), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_report_number"


def test_a_base_of_another_producer_is_refused(tree, lab_user, sample):
    neighbour = sample_in(tree["c1a"], product=sample.product)
    response = api_as(lab_user).post(
        "/api/v1/test-reports/", _body(sample, base=neighbour.base.pk), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_base"


def test_ids_outside_what_the_caller_may_pick_read_as_missing(tree, lab_user, sample):
    from dibiao.testing.factories import division_tree

    foreign = sample_in(division_tree("150000")["c1a"])
    other_lab, _ = new_lab(tree["c2"])
    response = api_as(lab_user).post(
        "/api/v1/test-reports/",
        _body(sample, producer=foreign.producer.pk, lab=other_lab.pk),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"producer", "lab"}


def test_the_province_must_name_the_lab_it_records_for(province_admin, lab, sample):
    missing = api_as(province_admin).post("/api/v1/test-reports/", _body(sample), format="json")
    named = api_as(province_admin).post(
        "/api/v1/test-reports/", _body(sample, lab=lab.pk), format="json"
    )
    assert missing.status_code == 400
    assert missing.json()["code"] == "invalid_lab"
    assert named.status_code == 201
    assert named.json()["lab"]["id"] == lab.pk


def test_county_users_cannot_record(county_admin, sample, lab):
    response = api_as(county_admin).post(
        "/api/v1/test-reports/", _body(sample, lab=lab.pk), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_create_is_idempotent(lab_user, sample):
    client = api_as(lab_user)
    first = client.post(
        "/api/v1/test-reports/", _body(sample), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/test-reports/", _body(sample), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert models.TestReport.objects.count() == 1


def test_the_list_is_scoped_and_filtered(
    tree, county_admin, other_county_admin, lab_user, lab, sample
):
    far = sample_in(tree["c2a"])
    record(lab_user, sample, lab=lab, number="NEAR-OK")
    record(lab_user, sample, lab=lab, number="NEAR-BAD", items=[item("铅", "1", limit_max="0.2")])
    record(lab_user, far, lab=lab, number="FAR")

    def numbers(user, **params) -> set[str]:
        response = api_as(user).get("/api/v1/test-reports/", params)
        assert response.status_code == 200
        return {row["report_number"] for row in response.json()["results"]}

    assert numbers(county_admin) == {"NEAR-OK", "NEAR-BAD"}
    assert numbers(county_admin, result="fail") == {"NEAR-BAD"}
    assert numbers(county_admin, q="near-o") == {"NEAR-OK"}
    assert numbers(other_county_admin) == {"FAR"}
    assert numbers(lab_user, grade="none") == {"NEAR-OK", "NEAR-BAD", "FAR"}
    assert numbers(sample.producer_login) == {"NEAR-OK", "NEAR-BAD"}
    bad = api_as(county_admin).get("/api/v1/test-reports/", {"date_from": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_another_county_gets_404_on_every_report_endpoint(
    other_county_admin, lab_user, lab, sample
):
    report = record(lab_user, sample, lab=lab, upload=pdf_upload())
    client = api_as(other_county_admin)
    base = f"/api/v1/test-reports/{report.pk}/"
    assert client.get(base).status_code == 404
    assert client.patch(base, {"notes": "x"}, format="json").status_code == 404
    assert client.get(base + "file/").status_code == 404
    assert (
        client.post(base + "file/", {"file": pdf_upload()}, format="multipart").status_code == 404
    )
    assert client.post(base + "regrade/").status_code == 404
    assert client.get(base).json()["code"] == "not_found"


def test_the_lab_corrects_a_report_and_items_rederive(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("15"))
    url = f"/api/v1/test-reports/{report.pk}/"

    response = api_as(lab_user).patch(
        url,
        {"notes": "更正", "items": [{"name": "可溶性固形物", "value": "18.2", "unit": "%"}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["grade"]["name"] == "一级"  # no 总酸 measured: not 特级
    assert response.json()["notes"] == "更正"
    assert (
        AuditLog.objects.filter(
            action=AuditAction.UPDATE, object_type="production.testreport", object_id=str(report.pk)
        ).count()
        == 1
    )


def test_only_the_lab_corrects_through_the_api(county_admin, province_admin, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    url = f"/api/v1/test-reports/{report.pk}/"
    for user in (county_admin, province_admin, sample.producer_login):
        response = api_as(user).patch(url, {"notes": "x"}, format="json")
        assert response.status_code == 403
    pdf = api_as(county_admin).post(url + "file/", {"file": pdf_upload()}, format="multipart")
    assert pdf.status_code == 403


def test_the_pdf_is_uploaded_and_downloaded(county_admin, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    url = f"/api/v1/test-reports/{report.pk}/file/"

    refused = api_as(lab_user).post(url, {"file": upload("报告.pdf", HTML)}, format="multipart")
    accepted = api_as(lab_user).post(url, {"file": pdf_upload()}, format="multipart")
    download = api_as(county_admin).get(url)

    assert refused.status_code == 400
    assert refused.json()["code"] == "file_type_not_allowed"
    assert accepted.status_code == 200
    assert accepted.json()["file_url"] == url
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert streamed(download) == PDF

    # The file gone from storage: a coded 410, not a 500.
    report.refresh_from_db()
    assert report.file.name
    report.file.storage.delete(report.file.name)
    gone = api_as(county_admin).get(url)
    assert gone.status_code == 410
    assert gone.json()["code"] == "file_missing"


def test_regrade_through_the_api(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    api_as(province_admin).put(
        f"/api/v1/grading-schemes/{sample.product.pk}/",
        {
            "grades": [
                grade("特级", 1, criterion("可溶性固形物", min_value="16")),
                grade("一级", 2, criterion("可溶性固形物", min_value="14")),
            ]
        },
        format="json",
    )

    response = api_as(lab_user).post(f"/api/v1/test-reports/{report.pk}/regrade/")

    assert response.status_code == 200
    assert response.json()["grade"]["name"] == "特级"
    assert (
        api_as(sample.producer_login).post(f"/api/v1/test-reports/{report.pk}/regrade/").status_code
        == 403
    )


def test_the_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/v1/test-reports/",
        "/api/v1/test-reports/{id}/file/",
        "/api/v1/test-reports/{id}/regrade/",
        "/api/v1/grading-schemes/{id}/",
        "/api/v1/grading-schemes/{id}/regrade/",
    ):
        assert path in schema
    assert "录入检测报告" in schema
