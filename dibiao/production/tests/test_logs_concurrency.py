"""The pre-harvest interval under concurrent writes (PostgreSQL: real parallel connections).

An input and a harvest that conflict arrive at the same moment on the same base. Each check
alone would pass, since neither sees the other's uncommitted row; the lock on the base row makes
the second wait for the first and then see it, so exactly one of the two is recorded.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from dibiao.core.errors import DomainError
from dibiao.production.models import ProductionLog
from dibiao.production.services.logs import log_create
from dibiao.production.tests.logs_fixtures import at, grower, harvest, pesticide
from dibiao.testing.concurrency import run_together
from dibiao.testing.factories import division_tree

ROUNDS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_conflicting_input_and_harvest_at_once_record_only_one():
    import time_machine

    tree = division_tree()
    outcomes: Counter[str] = Counter()
    with time_machine.travel(dt.datetime(2026, 6, 15, 2, tzinfo=dt.UTC), tick=True):
        for _ in range(ROUNDS):
            user, _, base, _ = grower(tree)

            def spray(user: Any = user, base: Any = base) -> None:
                log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))

            def pick(user: Any = user, base: Any = base) -> None:
                log_create(actor=user, base=base, data=harvest("2026-05-04"))

            results = run_together(spray, pick)
            errors = [r for r in results if r is not None]
            assert len(errors) == 1, results
            assert isinstance(errors[0], DomainError), errors[0]
            outcomes[errors[0].code] += 1
            assert ProductionLog.objects.filter(base=base).count() == 1
    assert set(outcomes) <= {"harvest_within_safety_interval", "input_covers_harvest"}
