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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_with_one_idempotency_key_have_one_effect():
    import threading

    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from dibiao.projects.race import payment_race

    # A program, allocation, contract and recorder from the race helper (no payments).
    outcome = payment_race(
        payments=1, amount=Decimal("1.00"), contract_amount=Decimal("1000000.00")
    )
    contract = Contract.objects.select_related("allocation").get(pk=outcome.contract_id)
    recorder = FundEntry.objects.get(contract=contract).recorded_by
    token = Token.objects.create(user=recorder).key
    body = {
        "allocation": contract.allocation_id,
        "contract": contract.pk,
        "voucher_number": "IDEM-1",
        "paid_on": timezone.localdate().isoformat(),
        "payee": "承担单位",
        "amount": "30000.00",
        "area": "production",
    }
    barrier = threading.Barrier(20)
    answers: list[tuple[int, dict, bool]] = []
    lock = threading.Lock()

    def post() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}", HTTP_IDEMPOTENCY_KEY="pay-IDEM-1")
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/fund-entries/", body, format="json")
            with lock:
                answers.append(
                    (
                        response.status_code,
                        response.json(),
                        response.has_header("Idempotent-Replayed"),
                    )
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 20
    assert {status for status, _, _ in answers} == {201}
    assert len({str(sorted(data.items())) for _, data, _ in answers}) == 1
    assert sum(1 for _, _, replayed in answers if not replayed) == 1
    assert FundEntry.objects.filter(voucher_number="IDEM-1").count() == 1
    assert Contract.objects.get(pk=contract.pk).committed_total == Decimal("30001.00")
