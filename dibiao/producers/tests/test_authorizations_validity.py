"""Validity of an agreement over time (expiry is not a state), and the questions the trace
module asks: `authorization_valid_for` and `producer_may_receive_codes`. The clock starts at
2024-06-01 10:00 Beijing time and is moved with `clock.move_to`."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dibiao.producers.authorization_selectors import (
    authorization_valid_for,
    producer_may_receive_codes,
)
from dibiao.producers.choices import ProducerStatus
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
from dibiao.registry.choices import ProductStatus

pytestmark = pytest.mark.django_db

DEC_31 = dt.date(YEAR, 12, 31)
JAN_1 = dt.date(YEAR + 1, 1, 1)


def test_valid_on_the_last_day_of_the_year_and_not_the_next_day(clock, approved):
    clock.move_to(DEC_31, hour=23)
    assert approved.is_valid_today
    assert approved.is_valid_on(DEC_31)
    clock.move_to(JAN_1, hour=0)
    assert timezone.localdate() == JAN_1
    assert not approved.is_valid_today
    assert not approved.is_valid_on(JAN_1)
    approved.refresh_from_db()
    assert approved.status == "approved"  # expiry is not a state


def test_not_valid_before_the_approval_day(approved):
    assert not approved.is_valid_on(dt.date(YEAR, 5, 31))
    assert approved.is_valid_on(dt.date(YEAR, 6, 1))


def test_pending_application_is_never_valid(pending_county):
    assert not pending_county.is_valid_on(dt.date(YEAR, 7, 1))


def test_revocation_takes_effect_the_same_day(clock, approved, county_admin):
    clock.move_to(dt.date(YEAR, 9, 15), hour=14)
    revoked = services.authorization_revoke(
        actor=county_admin, authorization=approved, reason="冒用标志"
    )
    assert timezone.localtime(revoked.status_changed_at).date() == dt.date(YEAR, 9, 15)
    assert not revoked.is_valid_on(dt.date(YEAR, 9, 15))
    assert not revoked.is_valid_on(dt.date(YEAR, 9, 16))
    assert not revoked.is_valid_today


def test_suspended_is_not_valid_and_resumed_is_valid_again(clock, approved, county_admin):
    clock.move_to(dt.date(YEAR, 8, 1))
    suspended = services.authorization_suspend(
        actor=county_admin, authorization=approved, reason="抽检不合格"
    )
    assert not suspended.is_valid_today
    assert (
        authorization_valid_for(
            producer=approved.producer, product=approved.product, on=dt.date(YEAR, 8, 1)
        )
        is None
    )
    clock.move_to(dt.date(YEAR, 8, 20))
    resumed = services.authorization_resume(actor=county_admin, authorization=suspended)
    assert resumed.is_valid_today
    assert (
        authorization_valid_for(
            producer=approved.producer, product=approved.product, on=dt.date(YEAR, 8, 20)
        )
        == resumed
    )


def test_valid_for_follows_the_dates(approved, applicant, product):
    assert authorization_valid_for(producer=applicant, product=product, on=DEC_31) == approved
    assert authorization_valid_for(producer=applicant, product=product, on=JAN_1) is None
    assert (
        authorization_valid_for(producer=applicant, product=product, on=dt.date(YEAR, 5, 1)) is None
    )


def test_valid_for_finds_next_years_agreement_in_next_year(
    approved, applicant_user, applicant, product, holder_user, county_admin
):
    following = apply(applicant_user, applicant, product, year=YEAR + 1)
    services.authorization_holder_review(actor=holder_user, authorization=following, approve=True)
    following = services.authorization_county_review(
        actor=county_admin, authorization=following, approve=True
    )
    assert authorization_valid_for(producer=applicant, product=product, on=DEC_31) == approved
    assert authorization_valid_for(producer=applicant, product=product, on=JAN_1) == following


def test_producer_may_receive_codes_only_with_a_valid_agreement(
    approved, applicant, product, county_admin
):
    today = dt.date(YEAR, 6, 1)
    assert producer_may_receive_codes(producer=applicant, product=product, on=today)
    assert not producer_may_receive_codes(producer=applicant, product=product, on=JAN_1)
    services.authorization_suspend(actor=county_admin, authorization=approved, reason="抽检")
    assert not producer_may_receive_codes(producer=applicant, product=product, on=today)


def test_no_codes_for_a_suspended_producer_or_a_cancelled_product(approved, applicant, product):
    today = dt.date(YEAR, 6, 1)
    applicant.status = ProducerStatus.SUSPENDED
    assert not producer_may_receive_codes(producer=applicant, product=product, on=today)
    applicant.status = ProducerStatus.ACTIVE
    product.status = ProductStatus.CANCELLED
    assert not producer_may_receive_codes(producer=applicant, product=product, on=today)


def test_no_codes_without_an_agreement(pending_county, applicant, product):
    assert not producer_may_receive_codes(
        producer=applicant, product=product, on=dt.date(YEAR, 6, 1)
    )
