"""Issuing label codes: within a valid agreement and its quantity, contiguous serials that
never overlap, one issued segment, audited."""

# The fixtures are imported from codes_fixtures (pytest loads only conftest.py by itself), so
# every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError, ForbiddenError
from dibiao.core.models import AuditLog
from dibiao.producers.choices import ProducerStatus
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import producer_user, user_with_role
from dibiao.trace import codes, lookup
from dibiao.trace.choices import CodeStatus, SegmentState
from dibiao.trace.models import CodeIssuance, CodeSegment, SerialCounter
from dibiao.trace.services import codes as services
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    AUTHORIZED,
    KEY_ID,
    clock,
    code_of,
    county_c1a,
    label_settings,
    other_world,
    product,
    world,
)

pytestmark = pytest.mark.django_db


def _refused(code: str, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_issuance_of_10000_codes_within_the_authorization(world):
    issuance = world.issue(10_000)

    assert issuance.count == 10_000
    assert (issuance.first_serial, issuance.last_serial) == (1, 10_000)
    assert issuance.key_id == KEY_ID
    assert issuance.producer == world.producer
    assert issuance.product == world.product
    assert issuance.number == "LC-2026-000001"
    segments = list(CodeSegment.objects.filter(issuance=issuance))
    assert [(s.first_serial, s.last_serial, s.state) for s in segments] == [
        (1, 10_000, SegmentState.ISSUED)
    ]
    assert lookup.check_code(code_of(issuance, 5000)).status == CodeStatus.NOT_ACTIVATED
    audit = AuditLog.objects.get(object_type="trace.codeissuance", object_id=str(issuance.pk))
    assert audit.action == AuditAction.CREATE
    assert audit.username == world.user.username
    assert "10,000" in audit.detail


def test_issuances_follow_each_other_without_overlap(world, other_world):
    first = world.issue(300)
    second = other_world.issue(200)
    third = world.issue(1)

    assert (first.first_serial, first.last_serial) == (1, 300)
    assert (second.first_serial, second.last_serial) == (301, 500)
    assert (third.first_serial, third.last_serial) == (501, 501)
    assert [first.number, second.number, third.number] == [
        "LC-2026-000001",
        "LC-2026-000002",
        "LC-2026-000003",
    ]
    assert SerialCounter.objects.get(pk=1).next_serial == 502


def test_the_serial_counter_continues_from_where_it_stands(world):
    SerialCounter.objects.create(pk=1, next_serial=1_000_000)
    issuance = world.issue(10)
    assert (issuance.first_serial, issuance.last_serial) == (1_000_000, 1_000_009)


def test_issuance_beyond_the_authorized_quantity_is_refused(world):
    world.issue(AUTHORIZED - 5_000)
    error = _refused(
        "over_authorized_quantity",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=5_001,
    )
    assert error.status == 409
    assert "授权 50,000 枚" in error.message
    assert "已发放 45,000 枚" in error.message
    assert "剩余 5,000 枚" in error.message
    # Nothing was written: no issuance, no serials used.
    assert CodeIssuance.objects.count() == 1
    assert SerialCounter.objects.get(pk=1).next_serial == AUTHORIZED - 5_000 + 1
    # Exactly the remainder is still allowed.
    assert world.issue(5_000).count == 5_000


def test_the_quantity_counts_all_issuances_of_the_authorization(world):
    for _ in range(5):
        world.issue(10_000)
    _refused(
        "over_authorized_quantity",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=1,
    )


@pytest.mark.parametrize("count", [0, -1, services.MAX_ISSUANCE_COUNT + 1, True, "5", 2.0])
def test_a_count_outside_1_to_10_million_is_refused(world, count):
    _refused(
        "invalid_count",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=count,
    )
    assert not CodeIssuance.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": "suspended"},
        {"status": "revoked"},
        {"valid_until": dt.date(2026, 9, 9)},
        {"valid_from": dt.date(2026, 9, 11)},
    ],
)
def test_an_authorization_not_valid_today_gives_no_codes(world, change):
    for field, value in change.items():
        setattr(world.authorization, field, value)
    world.authorization.save()
    error = _refused(
        "authorization_not_valid",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=10,
    )
    assert error.status == 409


def test_a_suspended_producer_gets_no_codes(world):
    world.producer.status = ProducerStatus.SUSPENDED
    world.producer.save()
    _refused(
        "producer_not_eligible",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=10,
    )


def test_a_product_no_longer_registered_gets_no_codes(world):
    world.product.status = ProductStatus.CANCELLED
    world.product.save()
    _refused(
        "producer_not_eligible",
        services.issuance_create,
        actor=world.user,
        authorization=world.authorization,
        count=10,
    )


def test_the_county_bureau_may_issue_for_its_producers(world, county_c1a):
    issuance = services.issuance_create(
        actor=county_c1a, authorization=world.authorization, count=100
    )
    assert issuance.created_by == county_c1a


def test_others_may_not_issue(world, tree, other_county_admin, city_admin, province_admin):
    stranger, _ = producer_user(tree["c1a"], products=[world.product])
    lab = user_with_role(Role.LAB, tree["c1a"])
    for actor in (stranger, other_county_admin, city_admin, province_admin, lab):
        with pytest.raises(ForbiddenError):
            services.issuance_create(actor=actor, authorization=world.authorization, count=1)
    assert not CodeIssuance.objects.exists()


def test_a_new_key_issues_new_codes_and_old_ones_still_check(world, settings):
    old = world.issue(10)
    settings.DIBIAO_LABEL_KEYS = {**settings.DIBIAO_LABEL_KEYS, 7: b"r" * 32}
    settings.DIBIAO_LABEL_KEY_ID = 7
    new = world.issue(10)

    assert (old.key_id, new.key_id) == (KEY_ID, 7)
    assert lookup.check_code(code_of(old, 5)).status == CodeStatus.NOT_ACTIVATED
    assert lookup.check_code(code_of(new, 15)).status == CodeStatus.NOT_ACTIVATED
    # A serial of the new range under the old key is not a code that was issued.
    assert lookup.check_code(codes.encode(KEY_ID, 15)).status == CodeStatus.UNKNOWN
