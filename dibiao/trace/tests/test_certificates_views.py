"""Pages of the 承诺达标合格证: list, issue, detail, void, PDF, and the public page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dibiao.accounts.models import User
from dibiao.core.models import AuditLog, Division
from dibiao.trace.models import ComplianceCertificate
from dibiao.trace.services import certificates
from dibiao.trace.tests.batches_fixtures import client_as, farm, fresh
from dibiao.trace.tests.certificates_fixtures import (
    BUSINESS_LINE,
    batch_with_report,
    issue,
    recall,
    sale,
)

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {"quantity": "100", "basis": "quality_control", "contact": BUSINESS_LINE}
    data.update(overrides)
    return data


# --- Issue -----------------------------------------------------------------------------------------


def test_producer_picks_a_batch_then_issues(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, passing = batch_with_report(f)
    client = client_as(f.user)
    picker = client.get(reverse("trace:certificate-issue"))
    assert picker.status_code == 200
    assert batch.number in picker.content.decode()
    url = f"{reverse('trace:certificate-issue')}?batch={batch.pk}"
    page = client.get(url)
    text = page.content.decode()
    assert "尚可开具" in text
    assert "500 千克" in text
    assert passing.report_number in text
    response = client.post(
        url, _form(basis="commissioned_test", test_report=str(passing.pk), quantity="120")
    )
    certificate = ComplianceCertificate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("trace:certificate-detail", args=[certificate.pk])
    assert certificate.test_report == passing
    assert certificate.created_by == f.user


def test_issue_form_shows_the_service_refusal(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f, quantity="50")
    url = f"{reverse('trace:certificate-issue')}?batch={batch.pk}"
    response = client_as(f.user).post(url, _form(quantity="60"))
    assert response.status_code == 200
    assert "产品数量超过该批次尚未开具合格证的数量（50 千克）" in response.content.decode()
    assert not ComplianceCertificate.objects.exists()


def test_tested_basis_without_report_is_a_form_error(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    url = f"{reverse('trace:certificate-issue')}?batch={batch.pk}"
    response = client_as(f.user).post(url, _form(basis="self_tested"))
    assert "请选择合格的检测报告" in response.content.decode()
    assert not ComplianceCertificate.objects.exists()


def test_personal_mobile_needs_confirmation(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    url = f"{reverse('trace:certificate-issue')}?batch={batch.pk}"
    client = client_as(f.user)
    first = client.post(url, _form(contact="13812345678"))
    text = first.content.decode()
    assert "138****5678" in text
    assert "请勾选下方的确认框" in text
    assert not ComplianceCertificate.objects.exists()
    second = client.post(url, _form(contact="13812345678", confirm_public_contact="on"))
    assert second.status_code == 302
    assert ComplianceCertificate.objects.get().contact == "13812345678"


def test_recalled_batch_shows_why_no_form(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    recall(batch)
    page = client_as(f.user).get(f"{reverse('trace:certificate-issue')}?batch={batch.pk}")
    text = page.content.decode()
    assert "该批次已召回，不能开具合格证。" in text
    assert 'name="quantity"' not in text


def test_failed_test_shows_why_no_form(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, failed = batch_with_report(f, passed=False)
    page = client_as(f.user).get(f"{reverse('trace:certificate-issue')}?batch={batch.pk}")
    text = page.content.decode()
    assert failed.report_number in text
    assert "不能开具合格证" in text
    assert 'name="quantity"' not in text


def test_other_county_cannot_open_the_issue_form(
    tree: dict[str, Division], other_county_admin: User
) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    url = f"{reverse('trace:certificate-issue')}?batch={batch.pk}"
    assert client_as(other_county_admin).get(url).status_code == 404
    assert client_as(other_county_admin).post(url, _form()).status_code == 404
    assert (
        client_as(other_county_admin)
        .get(f"{reverse('trace:certificate-issue')}?batch=abc")
        .status_code
        == 404
    )


def test_city_bureau_cannot_issue(tree: dict[str, Division], city_admin: User) -> None:
    assert client_as(city_admin).get(reverse("trace:certificate-issue")).status_code == 403


# --- List, detail, void, PDF -----------------------------------------------------------------------


def test_list_searches_and_scopes(
    tree: dict[str, Division], county_admin: User, other_county_admin: User
) -> None:
    f = farm(tree["c1a"])
    g = farm(tree["c2a"])
    mine = issue(batch_with_report(f)[0])
    theirs = issue(batch_with_report(g)[0])
    text = client_as(county_admin).get(reverse("trace:certificate-list")).content.decode()
    assert mine.number in text
    assert theirs.number not in text
    found = client_as(county_admin).get(reverse("trace:certificate-list"), {"q": "nothing"})
    assert "没有符合条件的合格证" in found.content.decode()
    empty = client_as(farm(tree["c1b"]).user).get(reverse("trace:certificate-list"))
    assert "还没有开具合格证" in empty.content.decode()


def test_detail_shows_the_content_and_the_qr(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    text = (
        client_as(f.user)
        .get(reverse("trace:certificate-detail", args=[certificate.pk]))
        .content.decode()
    )
    for expected in (
        certificate.number,
        certificates.COMMITMENT_ITEMS[0],
        "☑ 质量安全控制符合要求",
        "☐ 自行检测合格",
        BUSINESS_LINE,
        f"http://testserver/c/{certificate.number}/",
        'src="data:image/svg+xml',
        "作废合格证",
    ):
        assert expected in text, expected


def test_other_county_gets_404_on_every_certificate_page(
    tree: dict[str, Division], other_county_admin: User
) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    client = client_as(other_county_admin)
    for name in ("trace:certificate-detail", "trace:certificate-pdf"):
        assert client.get(reverse(name, args=[certificate.pk])).status_code == 404
    void = client.post(reverse("trace:certificate-void", args=[certificate.pk]), {"reason": "x"})
    assert void.status_code == 404
    assert ComplianceCertificate.objects.get().status == "issued"


def test_void_from_the_detail_page(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    client = client_as(f.user)
    url = reverse("trace:certificate-void", args=[certificate.pk])
    refused = client.post(url, {"reason": ""}, follow=True)
    assert "请填写作废原因" in refused.content.decode()
    done = client.post(url, {"reason": "数量填错"}, follow=True)
    assert "已作废" in done.content.decode()
    assert "数量填错" in done.content.decode()
    again = client.post(url, {"reason": "再次"}, follow=True)
    assert "该合格证已作废。" in again.content.decode()
    assert AuditLog.objects.filter(action="transition").count() == 1


def test_pdf_download(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    certificate = issue(batch_with_report(f)[0])
    response = client_as(f.user).get(reverse("trace:certificate-pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.getvalue().startswith(b"%PDF")


def test_lab_and_auditor_have_no_certificate_pages(lab_user: User, auditor: User) -> None:
    for user in (lab_user, auditor):
        assert client_as(user).get(reverse("trace:certificate-list")).status_code == 403


# --- The public page -------------------------------------------------------------------------------


def test_public_page_needs_no_login_and_says_what_it_is(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, passing = batch_with_report(f)
    certificate = issue(batch, basis="commissioned_test", test_report=passing)
    response = client_as().get(f"/c/{certificate.number}/")
    text = response.content.decode()
    assert response.status_code == 200
    for expected in (
        "承诺达标合格证",
        "有效的承诺达标合格证",
        certificates.COMMITMENT_HEADING,
        *certificates.COMMITMENT_ITEMS,
        "委托检测合格",
        certificate.product_name,
        "100 千克",
        certificate.origin,
        f.producer.name,
        BUSINESS_LINE,
        passing.lab.name,
    ):
        assert expected in text, expected
    # Nothing of the producer's sealed personal data, nor the staff who issued it.
    assert "13812345678" not in text
    assert "138****5678" not in text
    assert f.user.username not in text


def test_public_page_of_a_voided_certificate(tree: dict[str, Division]) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    certificates.certificate_void(actor=None, certificate=certificate, reason="内部原因")
    text = client_as().get(f"/c/{certificate.number}/").content.decode()
    assert "已作废" in text
    assert "内部原因" not in text


def test_public_page_of_an_unknown_number_is_404(tree: dict[str, Division]) -> None:
    assert client_as().get("/c/HG2026140121999999/").status_code == 404


def test_scan_page_of_the_batch_links_to_the_certificate(tree: dict[str, Division]) -> None:
    """The certificate shows on the batch's scan facts (its version was bumped)."""
    from dibiao.trace.facts import batch_facts

    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    shipment = sale(f, batch)
    certificate = issue(fresh(batch), shipment=shipment)
    facts = batch_facts(batch)
    assert [c["number"] for c in facts["certificates"]] == [certificate.number]
    assert facts["certificates"][0]["url"] == f"/c/{certificate.number}/"
