"""Batches: creation from harvest logs and its refusals, numbers, GTIN, test reports and grade,
release (refused after a failed test), recall with its cascade, version bumps, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.producers.choices import ProducerStatus
from dibiao.production.tests.report_fixtures import grape_scheme, item, nutrition
from dibiao.testing.factories import ProductFactory
from dibiao.trace.choices import BatchStatus
from dibiao.trace.errors import TraceError
from dibiao.trace.services import batches
from dibiao.trace.tests.batches_fixtures import (
    event,
    farm,
    fresh,
    harvest,
    make_batch,
    report,
    second_base,
)

pytestmark = pytest.mark.django_db

VALID_GTIN = "06901234567892"


@pytest.fixture
def f(tree):
    return farm(tree["c1a"])


def _refused(code: str, call, *args, **kwargs) -> TraceError:
    with pytest.raises(TraceError) as exc_info:
        call(*args, **kwargs)
    assert exc_info.value.code == code
    return exc_info.value


# --- Creation ------------------------------------------------------------------------------------


def test_a_batch_of_two_harvests_sums_them_and_takes_the_latest_day(f):
    first = harvest(f, "2026-09-01", quantity="300")
    second = harvest(f, "2026-09-03", quantity="200.5")
    batch = batches.batch_create(actor=f.user, harvest_logs=[first, second])
    assert batch.quantity == Decimal("500.5")
    assert batch.unit == "千克"
    assert str(batch.harvest_date) == "2026-09-03"
    assert batch.base == f.base
    assert batch.producer == f.producer
    assert batch.product == f.product
    assert batch.status == BatchStatus.OPEN
    assert set(batch.harvest_logs.all()) == {first, second}
    assert batch.number == f"{f.product.pk:03d}-20260903-001"
    row = AuditLog.objects.get(action=AuditAction.CREATE, object_type="trace.batch")
    assert row.object_id == str(batch.pk)
    assert row.user_id == f.user.pk


def test_logs_of_two_bases_give_a_batch_without_base(f):
    other = second_base(f)
    batch = make_batch(f, harvest(f), harvest(f, base=other))
    assert batch.base is None


def test_numbers_count_per_product_and_day(tree, f):
    one = make_batch(f, harvest(f, "2026-09-01"))
    two = make_batch(f, harvest(f, "2026-09-01"))
    other_day = make_batch(f, harvest(f, "2026-09-02"))
    other = farm(tree["c1a"])
    elsewhere = make_batch(other, harvest(other, "2026-09-01"))
    assert one.number.endswith("-20260901-001")
    assert two.number.endswith("-20260901-002")
    assert other_day.number.endswith("-20260902-001")
    assert elsewhere.number == f"{other.product.pk:03d}-20260901-001"


def test_quantity_may_be_less_than_the_harvest_never_more(f):
    batch = make_batch(f, harvest(f, quantity="500"), quantity=Decimal("450"))
    assert batch.quantity == Decimal("450")
    error = _refused(
        "quantity_exceeds_harvest",
        batches.batch_create,
        actor=None,
        harvest_logs=[harvest(f, quantity="500")],
        quantity=Decimal("500.001"),
    )
    assert "500" in error.message


@pytest.mark.parametrize("amount", ["0", "-1", "1.0001", "NaN", "Infinity"])
def test_a_bad_quantity_is_refused(f, amount):
    _refused(
        "invalid_quantity",
        batches.batch_create,
        actor=None,
        harvest_logs=[harvest(f)],
        quantity=Decimal(amount),
    )


def test_mixing_producers_is_refused(tree, f):
    other = farm(tree["c1a"], f.product)
    _refused("mixed_producers", make_batch, f, harvest(f), harvest(other))


def test_mixing_products_is_refused(f):
    wine = ProductFactory.create()
    _refused("mixed_products", make_batch, f, harvest(f), harvest(f, product=wine))


def test_mixing_units_is_refused(f):
    _refused("mixed_units", make_batch, f, harvest(f), harvest(f, unit="吨"))


def test_a_log_that_is_not_a_done_harvest_with_a_quantity_is_refused(f):
    _refused("not_harvest_log", make_batch, f, harvest(f, kind="activity"))
    _refused("harvest_not_done", make_batch, f, harvest(f, status="pending"))
    _refused("harvest_quantity_missing", make_batch, f, harvest(f, quantity=None))


def test_a_harvest_log_goes_into_one_batch_only(f):
    log = harvest(f)
    first = make_batch(f, log)
    error = _refused("harvest_log_in_batch", make_batch, f, log)
    assert error.status == 409
    assert first.number in error.message


def test_no_logs_is_refused():
    _refused("harvest_logs_required", batches.batch_create, actor=None, harvest_logs=[])


def test_logs_outside_the_scope_are_not_found(f, other_county_admin):
    _refused(
        "harvest_log_not_found",
        batches.batch_create,
        actor=other_county_admin,
        harvest_logs=[harvest(f)],
    )


def test_a_producer_cannot_batch_another_producers_logs(tree, f):
    other = farm(tree["c1a"])
    _refused(
        "harvest_log_not_found", batches.batch_create, actor=f.user, harvest_logs=[harvest(other)]
    )


def test_the_county_bureau_batches_for_its_producers(f, county_admin):
    batch = batches.batch_create(actor=county_admin, harvest_logs=[harvest(f)])
    assert batch.created_by == county_admin


def test_province_and_city_read_but_do_not_create(f, province_admin, city_admin):
    for user in (province_admin, city_admin):
        with pytest.raises(ForbiddenError):
            batches.batch_create(actor=user, harvest_logs=[harvest(f)])


def test_a_suspended_producer_cannot_batch(f):
    f.producer.status = ProducerStatus.SUSPENDED
    f.producer.save()
    _refused("producer_inactive", make_batch, f, harvest(f))


def test_gtin_is_checked_and_kept(f):
    _refused("invalid_gtin", make_batch, f, harvest(f), gtin="06901234567891")
    _refused("invalid_gtin", make_batch, f, harvest(f), gtin="12AB")
    assert make_batch(f, harvest(f), gtin=f"{VALID_GTIN[:7]} {VALID_GTIN[7:]}").gtin == VALID_GTIN


def test_update_changes_gtin_and_notes_with_audit_but_not_when_recalled(f):
    batch = make_batch(f)
    batches.batch_update(actor=f.user, batch=batch, gtin=VALID_GTIN, notes="冷库 2 号")
    batch = fresh(batch)
    assert (batch.gtin, batch.notes, batch.version) == (VALID_GTIN, "冷库 2 号", 2)
    row = AuditLog.objects.get(action=AuditAction.UPDATE, object_id=str(batch.pk))
    assert row.changes["after"]["gtin"] == VALID_GTIN
    batches.batch_recall(actor=None, batch=batch, reason="抽检不合格")
    _refused("invalid_transition", batches.batch_update, actor=None, batch=batch, gtin="", notes="")


# --- Test reports and grade ----------------------------------------------------------------------


def test_the_grade_is_the_best_among_passing_linked_reports(f):
    grape_scheme(None, f.product)
    first = report(f, items=[item("毒死蜱", "0.01", limit_max="0.5"), *nutrition("16.5")])
    best = report(f, items=[item("毒死蜱", "0.01", limit_max="0.5"), *nutrition("19", "0.5")])
    failed = report(f, items=[item("毒死蜱", "0.9", limit_max="0.5"), *nutrition("19", "0.5")])
    batch = make_batch(f, reports=[first])
    assert batch.grade is not None
    assert batch.grade.name == "一级"
    added = batches.batch_reports_link(actor=f.user, batch=batch, reports=[best, failed])
    assert {r.pk for r in added} == {best.pk, failed.pk}
    batch = fresh(batch)
    assert batch.grade is not None
    assert batch.grade.name == "特级"
    assert batch.version == 2
    assert AuditLog.objects.filter(action=AuditAction.UPDATE, object_id=str(batch.pk)).exists()


def test_reports_are_found_by_sample_or_batch_code(f):
    batch = make_batch(f)
    by_sample = report(f, sample_code="YP-7")
    by_batch = report(f, sample_code="YP-8", batch_code=batch.number)
    batches.batch_reports_link(actor=None, batch=batch, codes=["YP-7", batch.number])
    assert set(batch.test_reports.all()) == {by_sample, by_batch}
    _refused("report_not_found", batches.batch_reports_link, actor=None, batch=batch, codes=["X"])
    _refused("reports_required", batches.batch_reports_link, actor=None, batch=batch)


def test_a_report_of_another_producer_or_product_cannot_be_linked(tree, f):
    batch = make_batch(f)
    other = farm(tree["c1a"], f.product)
    _refused(
        "report_mismatch",
        batches.batch_reports_link,
        actor=None,
        batch=batch,
        reports=[report(other)],
    )


def test_another_county_cannot_link_reports(f, other_county_admin):
    batch = make_batch(f)
    with pytest.raises(NotFoundError):
        batches.batch_reports_link(actor=other_county_admin, batch=batch, reports=[report(f)])


# --- Release -------------------------------------------------------------------------------------


def test_release_with_passing_tests_is_audited(f):
    batch = make_batch(f, reports=[report(f)])
    released = batches.batch_release(actor=f.user, batch=batch)
    assert released.status == BatchStatus.RELEASED
    assert released.released_at is not None
    row = AuditLog.objects.get(action=AuditAction.TRANSITION, object_id=str(batch.pk))
    assert row.changes["after"]["status"] == "released"
    assert row.detail == "放行"
    assert fresh(batch).version == 2


def test_release_is_refused_when_a_linked_report_failed(f):
    batch = make_batch(f, reports=[report(f), report(f, passed=False, sample_code="YP-9")])
    error = _refused("batch_failed_test", batches.batch_release, actor=f.user, batch=batch)
    assert error.status == 409
    assert fresh(batch).status == BatchStatus.OPEN
    assert not AuditLog.objects.filter(action=AuditAction.TRANSITION).exists()


def test_release_is_refused_when_a_failed_report_names_the_batch_number(f):
    batch = make_batch(f)
    report(f, passed=False, sample_code="YP-X", batch_code=batch.number)
    _refused("batch_failed_test", batches.batch_release, actor=None, batch=batch)


def test_release_is_refused_when_the_linked_sample_failed_in_another_report(f):
    batch = make_batch(f, reports=[report(f, sample_code="YP-5")])
    report(f, passed=False, sample_code="YP-5")
    _refused("batch_failed_test", batches.batch_release, actor=None, batch=batch)


def test_release_is_refused_when_a_source_batch_failed(tree, f):
    source = make_batch(f, reports=[report(f, passed=False)])
    split = event(f, "processing", "2026-09-05", [(source, "100")], ["80"])
    made = split.outputs.get().batch
    error = _refused("batch_failed_test", batches.batch_release, actor=None, batch=made)
    assert source.number in error.message


def test_release_twice_or_after_recall_is_refused(f):
    batch = make_batch(f)
    batches.batch_release(actor=None, batch=batch)
    _refused("invalid_transition", batches.batch_release, actor=None, batch=batch)
    other = make_batch(f)
    batches.batch_recall(actor=None, batch=other, reason="包装破损")
    assert (
        _refused("invalid_transition", batches.batch_release, actor=None, batch=other).status == 409
    )


def test_who_may_release(tree, f, county_admin, other_county_admin, province_admin):
    batch = make_batch(f)
    other = farm(tree["c1a"])
    with pytest.raises(NotFoundError):
        batches.batch_release(actor=other.user, batch=batch)
    with pytest.raises(NotFoundError):
        batches.batch_release(actor=other_county_admin, batch=batch)
    with pytest.raises(ForbiddenError):
        batches.batch_release(actor=province_admin, batch=batch)
    assert batches.batch_release(actor=county_admin, batch=batch).status == BatchStatus.RELEASED


# --- Recall --------------------------------------------------------------------------------------


def test_recall_needs_a_reason(f):
    batch = make_batch(f)
    _refused("reason_required", batches.batch_recall, actor=None, batch=batch, reason="  ")
    _refused("reason_too_long", batches.batch_recall, actor=None, batch=batch, reason="长" * 501)


def test_recall_of_an_open_or_released_batch_then_never_again(f):
    open_batch = make_batch(f)
    released = batches.batch_release(actor=None, batch=make_batch(f))
    for batch in (open_batch, released):
        result = batches.batch_recall(actor=f.user, batch=batch, reason="农残超标")
        assert result.batch.status == BatchStatus.RECALLED
        assert fresh(batch).recall_reason == "农残超标"
    error = _refused(
        "invalid_transition", batches.batch_recall, actor=None, batch=released, reason="x"
    )
    assert error.status == 409


def test_recall_cascades_downstream_and_lists_who_received_what(tree, f):
    buyer = farm(tree["c2a"], f.product, name="太原果品公司")
    batch = batches.batch_release(actor=None, batch=make_batch(f))
    split = event(f, "storage", "2026-09-02", [(batch, "500")], ["200", "300"])
    left, right = (row.batch for row in split.outputs.order_by("batch_id"))
    sale = event(f, "sale", "2026-09-03", [(left, "200")], ["200"], destination=buyer.producer)
    received = sale.outputs.get().batch
    event(f, "sale", "2026-09-04", [(right, "120")], destination_name="城区超市")
    result = batches.batch_recall(actor=f.user, batch=batch, reason="农残超标")
    assert {b.pk for b in result.cascaded} == {left.pk, right.pk, received.pk}
    for below in (left, right, received):
        below = fresh(below)
        assert below.status == BatchStatus.RECALLED
        assert below.recall_reason == f"上游批次 {batch.number} 召回：农残超标"
    recipients = [(r.name, [(i.number, i.quantity) for i in r.items]) for r in result.recipients]
    assert recipients == [
        ("太原果品公司", [(received.number, Decimal("200"))]),
        ("城区超市", [(right.number, Decimal("120"))]),
    ]
    assert AuditLog.objects.filter(action=AuditAction.TRANSITION).count() == 5  # release + 4


def test_recall_leaves_already_recalled_batches_below_alone(f):
    batch = make_batch(f)
    made = event(f, "processing", "2026-09-02", [(batch, "100")], ["90"]).outputs.get().batch
    batches.batch_recall(actor=None, batch=made, reason="包装破损")
    result = batches.batch_recall(actor=None, batch=batch, reason="农残超标")
    assert result.cascaded == []
    assert fresh(made).recall_reason == "包装破损"


def test_the_buyer_cannot_recall_the_sellers_batch(tree, f):
    buyer = farm(tree["c1a"], f.product)
    batch = make_batch(f)
    event(f, "sale", "2026-09-03", [(batch, "100")], ["100"], destination=buyer.producer)
    with pytest.raises(NotFoundError):
        batches.batch_recall(actor=buyer.user, batch=batch, reason="x")


# --- Version -------------------------------------------------------------------------------------


def test_touch_bumps_the_batch_and_what_was_made_from_it(f):
    batch = make_batch(f)
    made = event(f, "processing", "2026-09-02", [(batch, "100")], ["90"]).outputs.get().batch
    before = (fresh(batch).version, fresh(made).version)
    batches.batch_touch(batch=batch)
    assert batch.version == before[0] + 1
    assert fresh(made).version == before[1] + 1
