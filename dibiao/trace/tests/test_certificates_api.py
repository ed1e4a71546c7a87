"""API of the 承诺达标合格证: list, issue, detail, void, PDF; scope, rights, coded errors."""

from __future__ import annotations

import pytest

from dibiao.accounts.models import User
from dibiao.core.models import AuditLog, Division
from dibiao.trace.models import ComplianceCertificate
from dibiao.trace.tests.batches_fixtures import api_as, event, farm
from dibiao.trace.tests.certificates_fixtures import BUSINESS_LINE, batch_with_report, issue, recall

pytestmark = pytest.mark.django_db

LIST = "/api/v1/certificates/"


def _body(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "quantity": "100",
        "basis": "quality_control",
        "contact": BUSINESS_LINE,
    }
    data.update(overrides)
    return data


def test_producer_issues_and_reads_back(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, passing = batch_with_report(f)
    response = api_as(f.user).post(
        LIST,
        _body(batch=batch.pk, basis="self_tested", test_report=passing.pk, quantity="12.5"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith(f"HG2026{tree['c1a'].code}")
    assert data["batch"] == {"id": batch.pk, "number": batch.number}
    assert data["quantity"] == "12.500"
    assert data["unit"] == "千克"
    assert data["basis"] == "self_tested"
    assert data["test_report"] == passing.pk
    assert data["commitment"][1:] == [
        "不使用禁用农药兽药、停用兽药和非法添加物",
        "常规农药兽药残留不超标",
    ]
    assert data["public_url"] == f"http://testserver/c/{data['number']}/"
    assert data["warnings"] == []
    assert data["status"] == "issued"
    detail = api_as(f.user).get(f"{LIST}{data['id']}/")
    assert detail.status_code == 200
    assert detail.json()["number"] == data["number"]
    listed = api_as(f.user).get(LIST, {"q": batch.number})
    assert listed.json()["count"] == 1


def test_personal_mobile_is_issued_with_a_warning(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    response = api_as(f.user).post(
        LIST, _body(batch=batch.pk, contact="13812345678"), format="json"
    )
    assert response.status_code == 201
    assert "个人手机号码" in response.json()["warnings"][0]


def test_refusals_are_coded(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f, quantity="50")
    client = api_as(f.user)
    too_much = client.post(LIST, _body(batch=batch.pk, quantity="51"), format="json")
    assert too_much.status_code == 409
    assert too_much.json()["code"] == "quantity_exceeds_remaining"
    no_report = client.post(LIST, _body(batch=batch.pk, basis="commissioned_test"), format="json")
    assert (no_report.status_code, no_report.json()["code"]) == (400, "test_report_required")
    recall(batch)
    recalled = client.post(LIST, _body(batch=batch.pk), format="json")
    assert (recalled.status_code, recalled.json()["code"]) == (409, "batch_recalled")
    bad = client.post(LIST, _body(batch=batch.pk, quantity="many"), format="json")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")
    assert not ComplianceCertificate.objects.exists()


def test_ids_outside_the_scope_read_as_missing(
    tree: dict[str, Division], other_county_admin: User
) -> None:
    f = farm(tree["c1a"])
    batch, passing = batch_with_report(f)
    shipment = event(f, "sale", "2026-09-05", [(batch, "100")], destination_name="某超市")
    theirs = farm(tree["c2a"])
    other_batch, _ = batch_with_report(theirs)
    client = api_as(other_county_admin)
    response = client.post(LIST, _body(batch=batch.pk), format="json")
    assert response.status_code == 400
    assert "batch" in response.json()["errors"]
    mixed = client.post(
        LIST,
        _body(batch=other_batch.pk, shipment=shipment.pk, test_report=passing.pk),
        format="json",
    )
    errors = mixed.json()["errors"]
    assert mixed.status_code == 400
    assert {"shipment", "test_report"} <= set(errors)


def test_other_county_gets_404(tree: dict[str, Division], other_county_admin: User) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    client = api_as(other_county_admin)
    for suffix in ("", "pdf/"):
        response = client.get(f"{LIST}{certificate.pk}/{suffix}")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    void = client.post(f"{LIST}{certificate.pk}/void/", {"reason": "x"}, format="json")
    assert void.status_code == 404
    assert client.get(LIST).json()["count"] == 0


def test_city_bureau_reads_but_cannot_issue_or_void(
    tree: dict[str, Division], city_admin: User
) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    certificate = issue(batch)
    client = api_as(city_admin)
    assert client.get(LIST).json()["count"] == 1
    assert client.post(LIST, _body(batch=batch.pk), format="json").status_code == 403
    void = client.post(f"{LIST}{certificate.pk}/void/", {"reason": "x"}, format="json")
    assert void.status_code == 403


def test_void_is_idempotent_with_a_key(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    client = api_as(f.user)
    url = f"{LIST}{certificate.pk}/void/"
    first = client.post(url, {"reason": "开错"}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    again = client.post(url, {"reason": "开错"}, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["status"] == "voided"
    assert first.json()["void_reason"] == "开错"
    assert AuditLog.objects.filter(action="transition").count() == 1
    twice = client.post(url, {"reason": "再次"}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_voided")
    empty = client.post(url, {"reason": ""}, format="json")
    assert empty.status_code == 400


def test_pdf(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    response = api_as(f.user).get(f"{LIST}{certificate.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.getvalue().startswith(b"%PDF")


def test_no_delete_anywhere(tree: dict[str, Division]) -> None:
    """Certificates are kept: the API has no DELETE, and the row survives the attempt."""
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    response = api_as(f.user).delete(f"{LIST}{certificate.pk}/")
    assert response.status_code == 405
    assert ComplianceCertificate.objects.filter(pk=certificate.pk).exists()
