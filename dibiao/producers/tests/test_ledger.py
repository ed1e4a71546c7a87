"""Label-use authorizations in the verifiable ledger: a leaf at the application and at every
change of status, the agreement's terms in the approval's leaf, no leaf for a refused step, and
the audit naming an authorization whose terms were changed behind the services' back (frozen
clock: 2024-06-01, see the fixtures)."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from dibiao.ledger import audit
from dibiao.ledger import services as ledger
from dibiao.ledger.models import LedgerLeaf
from dibiao.producers.errors import ProducersError
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.services import authorizations as services
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    YEAR,
    applicant,
    applicant_pair,
    applicant_user,
    apply,
    approved,
    clock,
    holder_org,
    holder_user,
    pending_county,
    pending_holder,
    product,
)

pytestmark = pytest.mark.django_db

TYPE = "producers.label_authorization"


def _documents(authorization: LabelAuthorization) -> list[dict[str, Any]]:
    """The records of the authorization's leaves, oldest first."""
    return [
        json.loads(bytes(leaf.data))["record"]
        for leaf in LedgerLeaf.objects.filter(
            record_type=TYPE, record_id=authorization.pk
        ).order_by("id")
    ]


def _statuses(authorization: LabelAuthorization) -> list[str]:
    return [document["status"] for document in _documents(authorization)]


def _audit_ok() -> bool:
    ledger.integrate()
    return audit.run().ok


# --- What is logged when ------------------------------------------------------------------------


def test_every_step_from_application_to_revocation_is_a_leaf(approved, county_admin):
    services.authorization_suspend(actor=county_admin, authorization=approved, reason="抽检不合格")
    services.authorization_resume(actor=county_admin, authorization=approved, reason="整改完成")
    services.authorization_revoke(actor=county_admin, authorization=approved, reason="超范围使用")

    assert _statuses(approved) == [
        "pending_holder",
        "pending_county",
        "approved",
        "suspended",
        "approved",
        "revoked",
    ]
    reasons = [document["status_reason"] for document in _documents(approved)]
    assert reasons[3:] == ["抽检不合格", "", "超范围使用"]
    assert _audit_ok()


def test_the_approval_leaf_holds_the_agreement(approved, county_admin, applicant, product):
    grant = _documents(approved)[2]
    approved.refresh_from_db()
    assert grant["number"] == approved.number == f"AGI00001-{YEAR}-0001"
    assert (grant["producer"], grant["product"], grant["year"]) == (applicant.pk, product.pk, YEAR)
    assert grant["authorized_quantity"] == 50000
    assert grant["scope"] == "5 kg 礼盒装"
    assert (grant["valid_from"], grant["valid_until"]) == ("2024-06-01", "2024-12-31")
    assert grant["county_reviewed_by"] == county_admin.pk
    # The application's free texts and the reviewers' comments stay out of the public log.
    assert not {"qualifications", "production_plan", "holder_comment", "county_comment"} & set(
        grant
    )


def test_rejection_and_withdrawal_are_leaves(
    pending_county, applicant_user, applicant, product, county_admin
):
    services.authorization_county_review(
        actor=county_admin, authorization=pending_county, approve=False, comment="材料不全"
    )
    again = apply(applicant_user, applicant, product)
    services.authorization_withdraw(actor=applicant_user, authorization=again, reason="重新准备")

    assert _statuses(pending_county) == ["pending_holder", "pending_county", "rejected"]
    assert _documents(pending_county)[-1]["status_reason"] == "材料不全"
    assert _statuses(again) == ["pending_holder", "withdrawn"]
    assert _audit_ok()


def test_a_refused_step_leaves_no_leaf(approved, county_admin):
    with pytest.raises(ProducersError):
        services.authorization_resume(actor=county_admin, authorization=approved)
    with pytest.raises(ProducersError):
        services.authorization_suspend(actor=county_admin, authorization=approved, reason=" ")

    assert _statuses(approved) == ["pending_holder", "pending_county", "approved"]


def test_expiry_needs_no_leaf(clock, approved):
    ledger.integrate()
    clock.move_to(dt.date(YEAR + 1, 1, 1))

    assert not LabelAuthorization.objects.get(pk=approved.pk).is_valid_today
    assert audit.run().ok


# --- The audit names a tampered authorization ------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_until": dt.date(YEAR + 1, 12, 31)}, "valid_until"),
        ({"valid_from": dt.date(YEAR, 1, 1)}, "valid_from"),
        ({"authorized_quantity": 500000}, "authorized_quantity"),
        ({"status": "approved"}, "status"),
    ],
)
def test_the_audit_names_an_authorization_changed_in_the_database(
    approved, county_admin, change, field
):
    services.authorization_suspend(actor=county_admin, authorization=approved, reason="抽检不合格")
    assert _audit_ok()

    LabelAuthorization.objects.filter(pk=approved.pk).update(**change)

    findings = audit.run().findings
    assert [(f.kind, f.record_type, f.record_id) for f in findings] == [
        ("mismatch", TYPE, approved.pk)
    ]
    assert f"标志使用授权 #{approved.pk}（AGI00001-{YEAR}-0001）" in findings[0].message
    assert f"{field}: 账本" in findings[0].message


def test_ledger_verify_fails_and_names_an_extended_authorization(approved):
    ledger.publish_checkpoint()
    LabelAuthorization.objects.filter(pk=approved.pk).update(valid_until=dt.date(YEAR + 1, 12, 31))

    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger_verify", "--quiet", stdout=out)

    assert exit_info.value.code == 1
    text = out.getvalue()
    assert f"[mismatch] 标志使用授权 #{approved.pk}" in text
    assert f"valid_until: 账本 {YEAR}-12-31，数据库 {YEAR + 1}-12-31" in text


def test_an_agreement_written_around_the_services_is_missing_from_the_ledger(
    approved, applicant, product
):
    forged = LabelAuthorization.objects.create(
        producer=applicant,
        product=product,
        year=YEAR + 1,
        number=f"AGI00001-{YEAR + 1}-0001",
        qualifications="—",
        production_plan="—",
        quality_measures="—",
        requested_quantity=1000,
        authorized_quantity=1000,
        scope="散装",
        commitment=True,
        status="approved",
        valid_from=dt.date(YEAR + 1, 1, 1),
        valid_until=dt.date(YEAR + 1, 12, 31),
    )
    ledger.integrate()

    findings = audit.run().findings

    assert [(f.kind, f.record_id) for f in findings] == [("missing_leaf", forged.pk)]
    assert f"标志使用授权 #{forged.pk}" in findings[0].message
