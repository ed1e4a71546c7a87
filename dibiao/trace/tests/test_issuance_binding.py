"""Binding (activating) ranges to batches and voiding ranges: segments split and merge, never
overlap and always cover the issuance; every refusal leaves them as they were."""

# ruff: noqa: F811

from __future__ import annotations

import itertools
import random

import pytest

from dibiao.core.choices import AuditAction
from dibiao.core.errors import DomainError, ForbiddenError
from dibiao.core.models import AuditLog
from dibiao.trace import codes, lookup
from dibiao.trace.choices import AlertKind, BatchStatus, CodeStatus, SegmentState
from dibiao.trace.models import Batch, CodeIssuance, CodeSegment, CounterfeitAlert
from dibiao.trace.services import codes as services
from dibiao.trace.tests.batches_fixtures import harvest, make_batch
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    World,
    clock,
    code_of,
    county_c1a,
    label_settings,
    other_world,
    product,
    world,
)

pytestmark = pytest.mark.django_db


def _segments(issuance: CodeIssuance) -> list[tuple[int, int, str, int | None]]:
    return [
        (s.first_serial, s.last_serial, s.state, s.batch_id)
        for s in CodeSegment.objects.filter(issuance=issuance).order_by("first_serial")
    ]


def _refused(code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def _bind(world: World, issuance: CodeIssuance, first: int, last: int, batch: Batch | None = None):
    return services.codes_bind(
        actor=world.user,
        issuance=issuance,
        first_serial=first,
        last_serial=last,
        batch=batch or world.batch,
    )


def _void(world: World, issuance: CodeIssuance, first: int, last: int, reason: str = "印刷错误"):
    return services.codes_void(
        actor=world.user, issuance=issuance, first_serial=first, last_serial=last, reason=reason
    )


def test_binding_a_sub_range_splits_the_issued_segment(world):
    issuance = world.issue(1000)
    covering = _bind(world, issuance, 101, 200)

    b = world.batch.pk
    assert _segments(issuance) == [
        (1, 100, "issued", None),
        (101, 200, "active", b),
        (201, 1000, "issued", None),
    ]
    assert [(s.first_serial, s.last_serial, s.state) for s in covering] == [(101, 200, "active")]
    assert lookup.check_code(code_of(issuance, 101)).status == CodeStatus.GENUINE
    assert lookup.check_code(code_of(issuance, 200)).batch_id == b
    assert lookup.check_code(code_of(issuance, 100)).status == CodeStatus.NOT_ACTIVATED
    assert lookup.check_code(code_of(issuance, 201)).status == CodeStatus.NOT_ACTIVATED


def test_binding_the_whole_issuance_keeps_one_segment(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 1000)
    assert _segments(issuance) == [(1, 1000, "active", world.batch.pk)]


def test_consecutive_ranges_bound_to_one_batch_merge(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 100)
    _bind(world, issuance, 201, 300)
    _bind(world, issuance, 101, 200)
    assert _segments(issuance) == [
        (1, 300, "active", world.batch.pk),
        (301, 1000, "issued", None),
    ]


def test_ranges_bound_to_different_batches_stay_apart(world):
    issuance = world.issue(100)
    second = make_batch(world.farm, harvest(world.farm, "2026-09-02", quantity="100"))
    _bind(world, issuance, 1, 50)
    _bind(world, issuance, 51, 100, second)
    assert _segments(issuance) == [
        (1, 50, "active", world.batch.pk),
        (51, 100, "active", second.pk),
    ]


def test_binding_over_an_active_part_is_refused_naming_it(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 101, 200)
    before = _segments(issuance)
    error = _refused(
        "range_conflict",
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=150,
        last_serial=400,
        batch=world.batch,
    )
    assert error.status == 409
    assert "150–200" in error.message
    assert "已激活" in error.message
    assert _segments(issuance) == before


def test_binding_over_a_voided_part_is_refused_naming_it(world):
    issuance = world.issue(1000)
    _void(world, issuance, 500, 509)
    error = _refused(
        "range_conflict",
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=1,
        last_serial=505,
        batch=world.batch,
    )
    assert "500–505" in error.message
    assert "已作废" in error.message


def test_binding_to_another_producers_or_products_batch_is_refused(world, other_world, tree):
    issuance = world.issue(100)
    _refused(
        "batch_mismatch",
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=1,
        last_serial=10,
        batch=other_world.batch,
    )
    # The same producer's batch of another product.
    from dibiao.testing.factories import ProductFactory, production_base

    other_product = ProductFactory.create(divisions=[tree["c1a"]])
    world.producer.products.add(other_product)
    base = production_base(world.producer, other_product)
    other = make_batch(
        world.farm, harvest(world.farm, "2026-09-03", base=base, product=other_product)
    )
    _refused(
        "batch_mismatch",
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=1,
        last_serial=10,
        batch=other,
    )
    assert _segments(issuance) == [(1, 100, "issued", None)]


def test_binding_to_a_recalled_batch_is_refused(world):
    issuance = world.issue(100)
    Batch.objects.filter(pk=world.batch.pk).update(status=BatchStatus.RECALLED)
    error = _refused(
        "batch_recalled",
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=1,
        last_serial=10,
        batch=world.batch,
    )
    assert error.status == 409


def test_a_released_batch_may_be_bound(world):
    issuance = world.issue(100)
    Batch.objects.filter(pk=world.batch.pk).update(status=BatchStatus.RELEASED)
    _bind(world, issuance, 1, 10)
    assert lookup.check_code(code_of(issuance, 1)).status == CodeStatus.GENUINE


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (0, 10, "range_outside_issuance"),
        (90, 101, "range_outside_issuance"),
        (20, 10, "invalid_range"),
        ("1", 10, "invalid_range"),
        (True, 10, "invalid_range"),
        (1, None, "invalid_range"),
    ],
)
def test_bad_ranges_are_refused(world, first, last, code):
    issuance = world.issue(100)
    _refused(
        code,
        services.codes_bind,
        actor=world.user,
        issuance=issuance,
        first_serial=first,
        last_serial=last,
        batch=world.batch,
    )
    _refused(
        code,
        services.codes_void,
        actor=world.user,
        issuance=issuance,
        first_serial=first,
        last_serial=last,
        reason="破损",
    )
    assert _segments(issuance) == [(1, 100, "issued", None)]


def test_only_the_producer_binds(world, county_c1a, other_county_admin, other_world):
    issuance = world.issue(100)
    for actor in (county_c1a, other_county_admin, other_world.user):
        with pytest.raises(ForbiddenError):
            services.codes_bind(
                actor=actor, issuance=issuance, first_serial=1, last_serial=10, batch=world.batch
            )


def test_binding_bumps_the_batch_version_and_is_audited(world):
    issuance = world.issue(100)
    version = Batch.objects.get(pk=world.batch.pk).version
    _bind(world, issuance, 1, 10)
    assert Batch.objects.get(pk=world.batch.pk).version > version
    audit = AuditLog.objects.filter(object_type="trace.codeissuance").latest("id")
    assert audit.action == AuditAction.TRANSITION
    assert audit.changes["after"] == {
        "state": "active",
        "range": [1, 10],
        "batch": world.batch.pk,
    }
    assert world.batch.number in audit.detail


def test_binding_more_labels_than_the_batch_carries_is_flagged(world):
    # 5,000 kg carry 20,000 labels of 250 g.
    for _ in range(3):
        world.issue(10_000)
    issuances = list(CodeIssuance.objects.order_by("first_serial"))
    _bind(world, issuances[0], issuances[0].first_serial, issuances[0].last_serial)
    _bind(world, issuances[1], issuances[1].first_serial, issuances[1].last_serial)
    assert not CounterfeitAlert.objects.filter(kind=AlertKind.OVER_LABELLING).exists()
    _bind(world, issuances[2], issuances[2].first_serial, issuances[2].first_serial)
    alert = CounterfeitAlert.objects.get(kind=AlertKind.OVER_LABELLING)
    assert alert.evidence["labels_bound"] == 20_001
    assert alert.producer == world.producer


# --- Voiding -----------------------------------------------------------------------------------


def test_a_voided_range_resolves_to_voided(world):
    issuance = world.issue(1000)
    _bind(world, issuance, 1, 500)
    _void(world, issuance, 401, 600, "标签破损")

    b = world.batch.pk
    assert _segments(issuance) == [
        (1, 400, "active", b),
        (401, 600, "voided", None),
        (601, 1000, "issued", None),
    ]
    for serial in (401, 450, 500, 501, 600):
        assert lookup.check_code(code_of(issuance, serial)).status == CodeStatus.VOIDED
    assert lookup.check_code(code_of(issuance, 400)).status == CodeStatus.GENUINE
    assert CodeSegment.objects.get(first_serial=401).reason == "标签破损"


def test_a_code_with_one_character_changed_is_unknown(world):
    issuance = world.issue(100)
    _bind(world, issuance, 1, 100)
    code = code_of(issuance, 42)
    assert lookup.check_code(code).status == CodeStatus.GENUINE
    for i in range(codes.CODE_CHARS):
        other = "Z" if code[i] != "Z" else "Y"
        changed = code[:i] + other + code[i + 1 :]
        assert lookup.check_code(changed).status == CodeStatus.UNKNOWN, i


def test_voiding_needs_a_reason(world):
    issuance = world.issue(100)
    for reason in ("", "   ", "很" * 201):
        _refused(
            "reason_required",
            services.codes_void,
            actor=world.user,
            issuance=issuance,
            first_serial=1,
            last_serial=10,
            reason=reason,
        )
    assert _segments(issuance) == [(1, 100, "issued", None)]


def test_voiding_a_voided_part_again_is_refused(world):
    issuance = world.issue(100)
    _void(world, issuance, 10, 20)
    error = _refused(
        "range_conflict",
        services.codes_void,
        actor=world.user,
        issuance=issuance,
        first_serial=15,
        last_serial=30,
        reason="遗失",
    )
    assert "15–20" in error.message


def test_the_county_bureau_may_void_others_may_not(world, county_c1a, other_county_admin):
    issuance = world.issue(100)
    services.codes_void(
        actor=county_c1a, issuance=issuance, first_serial=1, last_serial=5, reason="监督检查"
    )
    assert lookup.check_code(code_of(issuance, 3)).status == CodeStatus.VOIDED
    with pytest.raises(ForbiddenError):
        services.codes_void(
            actor=other_county_admin,
            issuance=issuance,
            first_serial=6,
            last_serial=10,
            reason="无权",
        )


def test_voiding_active_codes_bumps_their_batch_and_is_audited(world):
    issuance = world.issue(100)
    _bind(world, issuance, 1, 50)
    version = Batch.objects.get(pk=world.batch.pk).version
    _void(world, issuance, 40, 60, "批次包装返工")
    assert Batch.objects.get(pk=world.batch.pk).version == version + 1
    audit = AuditLog.objects.filter(object_type="trace.codeissuance").latest("id")
    assert audit.changes["before"]["serials"] == {"active": 11, "issued": 10}
    assert audit.changes["before"]["batches"] == [world.batch.pk]
    assert "批次包装返工" in audit.detail


# --- The invariant -----------------------------------------------------------------------------


def test_segments_never_overlap_and_always_cover_after_random_binds_and_voids(world):
    """Random binds and voids against a model of every serial's state: each is refused
    exactly when it overlaps a part it may not change, and after each one the segments cover
    the issuance exactly, agree with the model, and no two neighbours could be merged."""
    rng = random.Random(20260910)
    size = 400
    issuance = world.issue(size)
    second = make_batch(world.farm, harvest(world.farm, "2026-09-02", quantity="1000"))
    batches = [world.batch, second]
    model: list[tuple[str, int | None, str]] = [("issued", None, "")] * (size + 1)
    for step in range(150):
        first = rng.randint(1, size)
        last = min(size, first + rng.choice([0, 1, 5, 20, 80]))
        span = model[first : last + 1]
        if rng.random() < 0.6:
            batch = rng.choice(batches)
            allowed = all(state == "issued" for state, _, _ in span)
            if allowed:
                _bind(world, issuance, first, last, batch)
                model[first : last + 1] = [("active", batch.pk, "")] * len(span)
            else:
                with pytest.raises(DomainError, match="不能绑定"):
                    _bind(world, issuance, first, last, batch)
        else:
            reason = rng.choice(["破损", "遗失"])
            allowed = all(state != "voided" for state, _, _ in span)
            if allowed:
                _void(world, issuance, first, last, reason)
                model[first : last + 1] = [("voided", None, reason)] * len(span)
            else:
                with pytest.raises(DomainError, match="不能作废"):
                    _void(world, issuance, first, last, reason)

        rows = list(CodeSegment.objects.filter(issuance=issuance).order_by("first_serial"))
        assert rows[0].first_serial == 1, step
        assert rows[-1].last_serial == size, step
        for left, right in itertools.pairwise(rows):
            assert left.last_serial + 1 == right.first_serial, step
            assert (left.state, left.batch_id, left.reason) != (
                right.state,
                right.batch_id,
                right.reason,
            ), step
        for row in rows:
            assert row.first_serial <= row.last_serial
            states = set(model[row.first_serial : row.last_serial + 1])
            assert states == {(row.state, row.batch_id, row.reason)}, step
    assert {s for s, _, _ in model[1:]} >= {"active", "voided"}
    assert SegmentState.ISSUED in {s for s, _, _ in model[1:]}
