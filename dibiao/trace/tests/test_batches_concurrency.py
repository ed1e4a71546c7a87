"""Batches and trace events under concurrent writes (PostgreSQL: real parallel connections).

Two events that each take most of a batch arrive at the same moment: each check alone would
pass, but the lock on the batch row makes the second wait and then see the first, so exactly
one is recorded. Two batches of one harvest log: one only. Two batches of one product and day:
two numbers (the product row is locked while a number is allocated).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dibiao.core.errors import DomainError
from dibiao.testing.concurrency import run_together
from dibiao.testing.factories import division_tree
from dibiao.trace.models import Batch, TraceEvent
from dibiao.trace.services import batches
from dibiao.trace.tests.batches_fixtures import event, farm, harvest, make_batch

ROUNDS = 4

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _one_refused(results: list[BaseException | None], code: str) -> None:
    errors = [r for r in results if r is not None]
    assert len(errors) == 1, results
    assert isinstance(errors[0], DomainError), errors[0]
    assert errors[0].code == code


def test_two_events_cannot_both_take_most_of_a_batch():
    tree = division_tree()
    for _ in range(ROUNDS):
        f = farm(tree["c1a"])
        batch = make_batch(f, harvest(f, quantity="500"))

        def sell(batch: Batch = batch, f: Any = f) -> None:
            event(f, "sale", "2026-09-02", [(batch, "300")], destination_name="超市")

        _one_refused(run_together(sell, sell), "over_consumption")
        assert TraceEvent.objects.filter(inputs__batch=batch).count() == 1


def test_a_harvest_log_goes_into_one_batch_even_at_once():
    tree = division_tree()
    for _ in range(ROUNDS):
        f = farm(tree["c1a"])
        log = harvest(f)

        def make(log: Any = log) -> None:
            batches.batch_create(actor=None, harvest_logs=[log])

        results = run_together(make, make)
        _one_refused(results, "harvest_log_in_batch")
        assert log.batches.count() == 1


def test_two_batches_of_a_product_and_day_get_two_numbers():
    tree = division_tree()
    f = farm(tree["c1a"])
    for _ in range(ROUNDS):
        first, second = harvest(f), harvest(f)

        def make_first(log: Any = first) -> None:
            batches.batch_create(actor=None, harvest_logs=[log])

        def make_second(log: Any = second) -> None:
            batches.batch_create(actor=None, harvest_logs=[log])

        results = run_together(make_first, make_second)
        assert results == [None, None]
    numbers = list(Batch.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 2 * ROUNDS
    assert max(numbers).endswith(f"-{2 * ROUNDS:03d}")
    assert Decimal(Batch.objects.count()) == 2 * ROUNDS
