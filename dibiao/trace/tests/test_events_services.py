"""Trace events: splits and merges with their quantities, shipments, continuing storage, who owns
the outputs, and every refusal (over-consumption above all). Helpers: batches_fixtures.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.testing.factories import ProductFactory
from dibiao.trace.choices import BatchStatus
from dibiao.trace.errors import TraceError
from dibiao.trace.models import TraceEvent
from dibiao.trace.selectors import batches as selectors
from dibiao.trace.services import batches, events
from dibiao.trace.services.events import InputLine, OutputLine
from dibiao.trace.tests.batches_fixtures import (
    at,
    event,
    farm,
    fresh,
    harvest,
    make_batch,
    second_base,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def f(tree):
    return farm(tree["c1a"], name="红枣合作社")


def _refused(code: str, call, *args, **kwargs) -> TraceError:
    with pytest.raises(TraceError) as exc_info:
        call(*args, **kwargs)
    assert exc_info.value.code == code
    return exc_info.value


def _left(batch) -> Decimal:
    return selectors.batch_remaining(batch=batch)


# --- Split and merge -----------------------------------------------------------------------------


def test_a_split_makes_several_batches_and_uses_up_the_input(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    split = event(f, "processing", "2026-09-02", [(batch, "500")], ["200", "300"])
    made = [row.batch for row in split.outputs.order_by("batch_id")]
    assert [b.quantity for b in made] == [Decimal("200"), Decimal("300")]
    assert all(b.product == f.product and b.producer == f.producer for b in made)
    assert all(b.base == f.base and b.harvest_date == batch.harvest_date for b in made)
    assert [b.number[-3:] for b in made] == ["001", "002"]  # the event's day, 2026-09-02
    assert _left(batch) == 0


def test_over_consumption_is_refused_counting_earlier_events(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    event(f, "sale", "2026-09-02", [(batch, "300")], destination_name="城区超市")
    error = _refused(
        "over_consumption",
        event,
        f,
        "sale",
        "2026-09-03",
        [(batch, "200.001")],
        destination_name="农贸市场",
    )
    assert error.status == 409
    assert "剩余 200" in error.message
    event(f, "sale", "2026-09-03", [(batch, "200")], destination_name="农贸市场")
    assert _left(batch) == 0
    assert TraceEvent.objects.count() == 2


def test_a_merge_takes_several_inputs_and_keeps_what_they_share(f):
    other_base = second_base(f)
    a = make_batch(f, harvest(f, "2026-09-01", quantity="300"))
    b = make_batch(f, harvest(f, "2026-09-03", quantity="200", base=other_base))
    merge = event(f, "storage", "2026-09-04", [(a, "300"), (b, "150")], ["450"])
    made = merge.outputs.get().batch
    assert made.quantity == Decimal("450")
    assert made.base is None
    assert str(made.harvest_date) == "2026-09-03"
    assert (_left(a), _left(b)) == (Decimal(0), Decimal(50))


def test_a_merge_of_two_products_is_refused(f):
    wine = ProductFactory.create()
    a = make_batch(f)
    b = make_batch(f, harvest(f, product=wine))
    _refused("mixed_products", event, f, "processing", "2026-09-04", [(a, "1"), (b, "1")], ["2"])


def test_outputs_other_than_processing_never_exceed_the_inputs_or_change_unit(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    _refused("output_exceeds_input", event, f, "storage", "2026-09-02", [(batch, "100")], ["101"])
    with pytest.raises(TraceError) as exc_info:
        events.event_record(
            actor=None,
            producer=f.producer,
            stage="transport",
            occurred_at=at("2026-09-02"),
            inputs=[InputLine(batch, Decimal("100"))],
            outputs=[OutputLine(Decimal("100"), "箱")],
        )
    assert exc_info.value.code == "mixed_units"


def test_processing_may_change_quantity_and_unit(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    wine = events.event_record(
        actor=f.user,
        producer=f.producer,
        stage="processing",
        occurred_at=at("2026-09-10"),
        inputs=[InputLine(batch, Decimal("500"))],
        outputs=[OutputLine(Decimal("600"), "瓶")],
    )
    made = wine.outputs.get().batch
    assert (made.quantity, made.unit) == (Decimal("600"), "瓶")


# --- Inputs only ---------------------------------------------------------------------------------


def test_storage_or_transport_without_outputs_leaves_the_batch_whole(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    event(f, "storage", "2026-09-02", [(batch, "500")], place="1 号冷库")
    event(f, "transport", "2026-09-03", [(batch, "500")], place="太原")
    assert _left(batch) == Decimal("500")
    _refused("over_consumption", event, f, "storage", "2026-09-04", [(batch, "501")])


def test_a_sale_without_outputs_ships_the_quantity_out(f):
    batch = make_batch(f, harvest(f, quantity="500"))
    event(f, "sale", "2026-09-02", [(batch, "120")], destination_name="城区超市")
    assert _left(batch) == Decimal("380")


def test_processing_needs_outputs_and_a_sale_or_purchase_a_destination(f):
    batch = make_batch(f)
    _refused("outputs_required", event, f, "processing", "2026-09-02", [(batch, "10")])
    _refused("destination_required", event, f, "sale", "2026-09-02", [(batch, "10")])
    _refused("destination_required", event, f, "purchase", "2026-09-02", [(batch, "10")], ["10"])


# --- Ownership and destinations ------------------------------------------------------------------


def test_a_sale_to_a_directory_entry_gives_it_the_output_batch(tree, f):
    buyer = farm(tree["c2a"], f.product, name="太原果品公司")
    batch = batches.batch_release(actor=None, batch=make_batch(f))
    sale = event(f, "sale", "2026-09-02", [(batch, "100")], ["100"], destination=buyer.producer)
    made = sale.outputs.get().batch
    assert made.producer == buyer.producer
    assert made.status == BatchStatus.RELEASED  # every input was released
    assert sale.destination_name == "太原果品公司"
    assert selectors.batch_get_for_user(user=buyer.user, pk=made.pk) == made
    assert selectors.batch_get_for_user(user=buyer.user, pk=batch.pk) == batch  # the trace
    assert selectors.event_get_for_user(user=buyer.user, pk=sale.pk) == sale
    # The buyer holds it now and records what happens next.
    resale = event(buyer, "sale", "2026-09-05", [(made, "60")], destination_name="超市")
    assert resale.producer == buyer.producer


def test_outputs_of_an_open_input_stay_open(f):
    batch = make_batch(f)
    made = event(f, "storage", "2026-09-02", [(batch, "100")], ["100"]).outputs.get().batch
    assert made.status == BatchStatus.OPEN
    assert made.released_at is None


def test_the_destination_cannot_be_the_recorder_nor_inactive(tree, f):
    batch = make_batch(f)
    _refused(
        "destination_is_self",
        event,
        f,
        "sale",
        "2026-09-02",
        [(batch, "1")],
        destination=f.producer,
    )
    closed = farm(tree["c1b"], f.product).producer
    closed.status = "closed"
    closed.save()
    _refused(
        "destination_inactive", event, f, "sale", "2026-09-02", [(batch, "1")], destination=closed
    )


# --- Refusals ------------------------------------------------------------------------------------


def test_a_recalled_batch_cannot_move(f):
    batch = make_batch(f)
    batches.batch_recall(actor=None, batch=batch, reason="农残超标")
    error = _refused("batch_recalled", event, f, "storage", "2026-09-02", [(batch, "1")])
    assert error.status == 409


def test_only_the_holder_puts_a_batch_into_an_event(tree, f):
    other = farm(tree["c1a"], f.product)
    batch = make_batch(f)
    _refused("input_not_held", event, other, "storage", "2026-09-02", [(batch, "1")])
    with pytest.raises(NotFoundError):
        events.event_record(
            actor=other.user,
            producer=other.producer,
            stage="storage",
            occurred_at=at("2026-09-02"),
            inputs=[InputLine(batch, Decimal("1"))],
        )


def test_a_producer_records_only_for_itself_and_a_county_for_its_producers(
    tree, f, county_admin, other_county_admin, province_admin
):
    other = farm(tree["c1a"], f.product)
    batch = make_batch(f)
    line = [InputLine(batch, Decimal("1"))]
    kwargs: dict[str, Any] = {"stage": "storage", "occurred_at": at("2026-09-02"), "inputs": line}
    with pytest.raises(ForbiddenError):
        events.event_record(actor=other.user, producer=f.producer, **kwargs)
    with pytest.raises(ForbiddenError):
        events.event_record(actor=other_county_admin, producer=f.producer, **kwargs)
    with pytest.raises(ForbiddenError):
        events.event_record(actor=province_admin, producer=f.producer, **kwargs)
    recorded = events.event_record(actor=county_admin, producer=f.producer, **kwargs)
    assert recorded.created_by == county_admin


def test_times_before_the_batch_or_in_the_future_are_refused(f):
    batch = make_batch(f, harvest(f, "2026-09-05"))
    _refused("event_before_batch", event, f, "storage", "2026-09-04", [(batch, "1")])
    made = event(f, "storage", "2026-09-10", [(batch, "10")], ["10"]).outputs.get().batch
    _refused("event_before_batch", event, f, "storage", "2026-09-09", [(made, "1")])
    _refused("event_in_future", event, f, "storage", "2099-01-01", [(batch, "1")])


def test_bad_lines_are_refused(f):
    batch = make_batch(f)
    _refused("inputs_required", event, f, "storage", "2026-09-02", [])
    _refused("duplicate_input", event, f, "storage", "2026-09-02", [(batch, "1"), (batch, "2")])
    _refused("invalid_quantity", event, f, "storage", "2026-09-02", [(batch, "0")])
    _refused("invalid_quantity", event, f, "storage", "2026-09-02", [(batch, "1")], ["-1"])
    _refused("invalid_stage", event, f, "harvest", "2026-09-02", [(batch, "1")])
    _refused(
        "text_too_long", event, f, "sale", "2026-09-02", [(batch, "1")], destination_name="长" * 101
    )
    assert not TraceEvent.objects.exists()


# --- Audit and versions --------------------------------------------------------------------------


def test_an_event_and_its_outputs_are_audited_and_the_lineage_bumped(f):
    batch = make_batch(f)
    made = event(f, "storage", "2026-09-02", [(batch, "100")], ["100"]).outputs.get().batch
    version = fresh(batch).version
    sale = event(f, "sale", "2026-09-03", [(made, "40")], destination_name="超市")
    row = AuditLog.objects.get(
        action=AuditAction.CREATE, object_type="trace.traceevent", object_id=str(sale.pk)
    )
    assert row.detail.startswith("销售：投入 " + made.number)
    assert AuditLog.objects.filter(
        action=AuditAction.CREATE, object_type="trace.batch", object_id=str(made.pk)
    ).exists()
    assert fresh(batch).version == version + 1  # the upstream batch's trace shows the sale
