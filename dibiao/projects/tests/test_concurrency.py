"""Races that need a real multi-connection database (PostgreSQL in CI)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dibiao.projects.errors import ProjectsError
from dibiao.projects.models import Contract, FundEntry
from dibiao.projects.race import payment_race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_payments_never_overspend_the_contract():
    outcome = payment_race(
        payments=50, amount=Decimal("30000.00"), contract_amount=Decimal("1000000.00")
    )
    assert outcome.succeeded == 33
    assert outcome.refused == {"over_contract": 17}
    assert outcome.other_errors == []
    contract = Contract.objects.get(pk=outcome.contract_id)
    assert contract.committed_total == Decimal("990000.00")
    assert contract.balance >= 0
    assert FundEntry.objects.filter(contract=contract).count() == 33


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_payments_on_contract_and_allocation_do_not_deadlock():
    """Half the payments name the contract and half only the allocation: both kinds lock the
    allocation first, so they queue instead of deadlocking."""
    outcome = payment_race(
        payments=40,
        amount=Decimal("100000.00"),
        contract_amount=Decimal("1000000.00"),
        allocation_amount=Decimal("2000000.00"),
        alternate_without_contract=True,
    )
    assert outcome.other_errors == []
    assert outcome.succeeded == 20
    assert sum(outcome.refused.values()) == 20


def test_race_helper_reports_refusals_by_code():
    from dibiao.projects.race import RaceOutcome

    outcome = RaceOutcome(contract_id=1)
    outcome.record(None)
    outcome.record(ProjectsError("over_contract", "x"))
    outcome.record(RuntimeError("boom"))
    assert (outcome.succeeded, outcome.refused, len(outcome.other_errors)) == (
        1,
        {"over_contract": 1},
        1,
    )
