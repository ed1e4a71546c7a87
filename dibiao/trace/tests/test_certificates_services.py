"""承诺达标合格证 services: issue (content, number, retention, refusals, rights) and void."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from dibiao.accounts.choices import Role
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog, Division
from dibiao.testing.factories import user_with_role
from dibiao.trace.errors import TraceError
from dibiao.trace.models import ComplianceCertificate
from dibiao.trace.services import certificates
from dibiao.trace.services.batches import batch_update
from dibiao.trace.tests.batches_fixtures import at, event, farm, fresh, report
from dibiao.trace.tests.certificates_fixtures import (
    BUSINESS_LINE,
    batch_with_report,
    issue,
    recall,
    sale,
)

pytestmark = pytest.mark.django_db


def _code(exc: pytest.ExceptionInfo[TraceError]) -> tuple[str, int]:
    return exc.value.code, exc.value.status


# --- Issue -----------------------------------------------------------------------------------------


def test_producer_issues_certificate_with_the_mandatory_content(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"], name="清徐葡萄合作社")
    batch, passing = batch_with_report(f, quantity="500")
    version = fresh(batch).version
    with time_machine.travel(at("2026-09-10", 10), tick=False):
        certificate = issue(
            batch,
            actor=f.user,
            quantity="120.5",
            basis="commissioned_test",
            test_report=passing,
        )
    assert certificate.number == f"HG2026{tree['c1a'].code}000001"
    assert certificate.product_name == f.product.name
    assert certificate.producer == f.producer
    assert certificate.quantity == Decimal("120.5")
    assert certificate.unit == "千克"
    assert certificate.origin == f"省14市141县140121 {f.base.name}"
    assert certificate.contact == BUSINESS_LINE
    assert certificate.basis == "commissioned_test"
    assert certificate.test_report == passing
    assert certificate.keep_until == dt.date(2028, 9, 10)
    assert certificate.status == "issued"
    assert certificate.created_by == f.user
    # The scan page's cached facts of the batch are keyed by version.
    assert fresh(batch).version > version
    audit = AuditLog.objects.get(object_type="trace.compliancecertificate", action="create")
    assert audit.user_id == f.user.pk
    assert batch.number in audit.detail
    assert audit.changes["after"]["number"] == certificate.number


def test_numbers_count_up_per_county_and_restart_each_year(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    g = farm(tree["c2a"])
    batch, _ = batch_with_report(f, quantity="900")
    other, _ = batch_with_report(g)
    with time_machine.travel(at("2026-12-31", 10), tick=False):
        first = issue(batch).number
        second = issue(batch).number
        elsewhere = issue(other).number
    with time_machine.travel(at("2027-01-02", 10), tick=False):
        next_year = issue(batch).number
    county = tree["c1a"].code
    assert (first, second) == (f"HG2026{county}000001", f"HG2026{county}000002")
    assert elsewhere == f"HG2026{tree['c2a'].code}000001"
    assert next_year == f"HG2027{county}000001"


def test_keep_until_of_a_leap_day_is_28_february() -> None:
    assert certificates.keep_until_for(dt.date(2028, 2, 29)) == dt.date(2030, 2, 28)


def test_county_bureau_issues_on_behalf_of_its_producer(
    tree: dict[str, Division], county_admin: object
) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    certificate = issue(batch, actor=county_admin)  # type: ignore[arg-type]
    assert certificate.created_by == county_admin


def test_city_bureau_may_see_but_not_issue(tree: dict[str, Division], city_admin: object) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    with pytest.raises(ForbiddenError):
        issue(batch, actor=city_admin)  # type: ignore[arg-type]
    assert not ComplianceCertificate.objects.exists()


def test_another_county_or_producer_cannot_find_the_batch(
    tree: dict[str, Division], other_county_admin: object
) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    neighbour = farm(tree["c1a"])
    for actor in (other_county_admin, neighbour.user):
        with pytest.raises(NotFoundError):
            issue(batch, actor=actor)  # type: ignore[arg-type]


def test_recalled_batch_is_refused(tree: dict[str, Division]) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    recall(batch)
    with pytest.raises(TraceError) as caught:
        issue(fresh(batch))
    assert _code(caught) == ("batch_recalled", 409)


def test_batch_with_a_failed_linked_test_is_refused(tree: dict[str, Division]) -> None:
    batch, failed = batch_with_report(farm(tree["c1a"]), passed=False)
    with pytest.raises(TraceError) as caught:
        issue(batch)
    assert _code(caught) == ("batch_test_failed", 409)
    assert failed.report_number in caught.value.message


def test_batch_made_from_a_failed_batch_is_refused(tree: dict[str, Division]) -> None:
    """The same rule as the batch's release: a failed test upstream counts."""
    f = farm(tree["c1a"])
    source, _ = batch_with_report(f, passed=False)
    made = event(f, "processing", "2026-09-03", [(source, "100")], outputs=["90"])
    with pytest.raises(TraceError) as caught:
        issue(made.outputs.get().batch, quantity="10")
    assert _code(caught) == ("batch_test_failed", 409)
    assert source.number in caught.value.message


@pytest.mark.parametrize("basis", ["self_tested", "commissioned_test"])
def test_tested_basis_needs_a_test_report(tree: dict[str, Division], basis: str) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    with pytest.raises(TraceError) as caught:
        issue(batch, basis=basis)
    assert _code(caught) == ("test_report_required", 400)


def test_failed_report_of_the_producer_is_not_a_basis(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    failed = report(f, passed=False, sample_code="YP-999")  # the producer's, not linked
    with pytest.raises(TraceError) as caught:
        issue(batch, basis="self_tested", test_report=failed)
    assert _code(caught) == ("test_report_failed", 409)


def test_report_of_another_producer_is_refused(tree: dict[str, Division]) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    stranger = report(farm(tree["c1a"]))
    with pytest.raises(TraceError) as caught:
        issue(batch, basis="commissioned_test", test_report=stranger)
    assert _code(caught) == ("invalid_test_report", 400)


def test_passing_report_of_the_producer_and_product_is_a_basis(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    own = report(f)  # not linked to the batch
    assert issue(batch, basis="self_tested", test_report=own).test_report == own


def test_quantity_never_exceeds_what_the_batch_has_left(tree: dict[str, Division]) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]), quantity="500")
    issue(batch, quantity="300")
    assert certificates.remaining_quantity(batch) == Decimal("200")
    with pytest.raises(TraceError) as caught:
        issue(batch, quantity="200.001")
    assert _code(caught) == ("quantity_exceeds_remaining", 409)
    assert "200 千克" in caught.value.message
    issue(batch, quantity="200")
    assert certificates.remaining_quantity(batch) == 0


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", "1.0001", "NaN", "1e12"])
def test_bad_quantity_is_refused(tree: dict[str, Division], quantity: str) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    with pytest.raises(TraceError) as caught:
        issue(batch, quantity=quantity)
    assert caught.value.code == "invalid_quantity"


@pytest.mark.parametrize("contact", ["", "   ", "x" * 51])
def test_contact_is_required_and_short(tree: dict[str, Division], contact: str) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    with pytest.raises(TraceError) as caught:
        issue(batch, contact=contact)
    assert caught.value.code == "invalid_contact"


def test_unknown_basis_is_refused(tree: dict[str, Division]) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    with pytest.raises(TraceError) as caught:
        issue(batch, basis="trust_me")
    assert caught.value.code == "invalid_basis"


def test_inactive_producer_cannot_issue(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    f.producer.status = "suspended"
    f.producer.save(update_fields=["status"])
    with pytest.raises(TraceError) as caught:
        issue(fresh(batch))
    assert _code(caught) == ("producer_inactive", 409)


def test_personal_mobile_is_warned_about_but_accepted(tree: dict[str, Division]) -> None:
    batch, _ = batch_with_report(farm(tree["c1a"]))
    certificate = issue(batch, contact="+86 138-1234-5678")
    warning = certificates.contact_warning(certificate.contact)
    assert "138****5678" in warning
    assert "个人手机号码" in warning
    assert certificates.contact_warning(BUSINESS_LINE) == ""
    assert certificates.contact_warning("400-800-1234") == ""
    # The audit row keeps the contact masked.
    audit = AuditLog.objects.get(object_type="trace.compliancecertificate")
    assert "5678" in audit.changes["after"]["contact"]
    assert "1234-5678" not in audit.changes["after"]["contact"]


# --- Per shipment ----------------------------------------------------------------------------------


def test_certificate_per_shipment_is_bounded_by_the_shipment(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f, quantity="500")
    shipment = sale(f, batch, "200")
    first = issue(batch, quantity="150", shipment=shipment)
    assert first.shipment == shipment
    with pytest.raises(TraceError) as caught:
        issue(batch, quantity="51", shipment=shipment)
    assert _code(caught) == ("quantity_exceeds_remaining", 409)
    assert "50 千克" in caught.value.message
    issue(batch, quantity="50", shipment=shipment)


def test_shipment_of_another_batch_or_stage_is_refused(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    other, _ = batch_with_report(f)
    elsewhere = sale(f, other, "100")
    stored = event(f, "storage", "2026-09-03", [(batch, "100")])
    for shipment in (elsewhere, stored):
        with pytest.raises(TraceError) as caught:
            issue(batch, quantity="10", shipment=shipment)
        assert caught.value.code == "invalid_shipment"


# --- Void ------------------------------------------------------------------------------------------


def test_void_keeps_the_certificate_with_its_reason(tree: dict[str, Division]) -> None:
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f, quantity="500")
    certificate = issue(batch, quantity="500")
    version = fresh(batch).version
    voided = certificates.certificate_void(
        actor=f.user, certificate=certificate, reason=" 数量  填错 "
    )
    assert voided.status == "voided"
    assert voided.void_reason == "数量 填错"
    assert voided.voided_at is not None
    assert ComplianceCertificate.objects.filter(pk=certificate.pk).exists()
    assert fresh(batch).version > version
    # What it covered may be certified again.
    assert certificates.remaining_quantity(batch) == Decimal("500")
    audit = AuditLog.objects.get(object_type="trace.compliancecertificate", action="transition")
    assert audit.detail == "作废承诺达标合格证：数量 填错"
    assert audit.changes == {
        "before": {"status": "issued", "void_reason": "", "voided_at": None},
        "after": {
            "status": "voided",
            "void_reason": "数量 填错",
            "voided_at": voided.voided_at.isoformat(),
        },
    }


def test_void_twice_is_refused(tree: dict[str, Division]) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    certificates.certificate_void(actor=None, certificate=certificate, reason="开错")
    with pytest.raises(TraceError) as caught:
        certificates.certificate_void(actor=None, certificate=certificate, reason="再次")
    assert _code(caught) == ("already_voided", 409)


@pytest.mark.parametrize("reason", ["", "  ", "长" * 501])
def test_void_needs_a_reason(tree: dict[str, Division], reason: str) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    with pytest.raises(TraceError) as caught:
        certificates.certificate_void(actor=None, certificate=certificate, reason=reason)
    assert caught.value.code == "reason_required"
    assert ComplianceCertificate.objects.get(pk=certificate.pk).status == "issued"


def test_void_rights_follow_issue_rights(
    tree: dict[str, Division], city_admin: object, other_county_admin: object
) -> None:
    certificate = issue(batch_with_report(farm(tree["c1a"]))[0])
    with pytest.raises(ForbiddenError):
        certificates.certificate_void(actor=city_admin, certificate=certificate, reason="x")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        certificates.certificate_void(
            actor=other_county_admin,  # type: ignore[arg-type]
            certificate=certificate,
            reason="x",
        )
    bureau = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    assert (
        certificates.certificate_void(actor=bureau, certificate=certificate, reason="x").status
        == "voided"
    )


def test_gtin_change_elsewhere_does_not_touch_certificates(tree: dict[str, Division]) -> None:
    """Certificates copy the batch's content when issued: later edits leave them as printed."""
    f = farm(tree["c1a"])
    batch, _ = batch_with_report(f)
    certificate = issue(batch)
    batch_update(actor=None, batch=fresh(batch), gtin="1234567890128", notes="改了备注")
    again = ComplianceCertificate.objects.get(pk=certificate.pk)
    assert (again.product_name, again.origin) == (certificate.product_name, certificate.origin)
