"""A payment race: many concurrent payments against one contract, each on its own database
connection. Shared by the PostgreSQL concurrency test and `bench/ledger_race.py`."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from dibiao.core.errors import DomainError


@dataclass
class RaceOutcome:
    contract_id: int
    succeeded: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    other_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, error: BaseException | None) -> None:
        with self._lock:
            if error is None:
                self.succeeded += 1
            elif isinstance(error, DomainError):
                self.refused[error.code] += 1
            else:
                self.other_errors.append(f"{type(error).__name__}: {error}")


def payment_race(
    *,
    payments: int,
    amount: Decimal,
    contract_amount: Decimal,
    allocation_amount: Decimal | None = None,
    alternate_without_contract: bool = False,
) -> RaceOutcome:
    """Set up a program, allocation, contract and recorder, then fire `payments` payments of
    `amount` at once (a barrier releases them together)."""
    from dibiao.projects.services import entry_record

    allocation, contract, recorder = _setup(
        contract_amount, allocation_amount or contract_amount * 3
    )
    outcome = RaceOutcome(contract_id=contract.pk)
    barrier = threading.Barrier(payments)

    def pay(number: int) -> None:
        error: BaseException | None = None
        try:
            barrier.wait(timeout=30)
            entry_record(
                actor=recorder,
                allocation=allocation,
                contract=None if alternate_without_contract and number % 2 else contract,
                voucher_number=f"RACE-{number:03d}",
                paid_on=timezone.localdate(),
                payee="承担单位",
                amount=amount,
                area="production",
            )
        except BaseException as exc:
            error = exc
        finally:
            connection.close()
        outcome.record(error)

    with ThreadPoolExecutor(max_workers=payments) as pool:
        list(pool.map(pay, range(payments)))
    return outcome


def _free_code(prefix: str) -> str:
    """An unused six-digit division code: each race lives in a throwaway province of its own."""
    import secrets

    from dibiao.core.models import Division

    while True:
        code = f"{prefix}{secrets.randbelow(100000):05d}"
        if not Division.objects.filter(code=code).exists():
            return code


def _setup(contract_amount: Decimal, allocation_amount: Decimal) -> tuple[Any, Any, Any]:
    """A province of its own (a free code), one county, its bureau and a recorder, a product,
    a program with exactly the allocation, and the contract."""
    import datetime as dt
    import uuid

    from dibiao.accounts.choices import OrganizationKind, Role
    from dibiao.accounts.models import Membership, Organization, User
    from dibiao.core.models import Division
    from dibiao.projects.services import (
        allocation_create,
        contract_create,
        program_create,
        program_transition,
    )
    from dibiao.registry.services import product_save

    tag = uuid.uuid4().hex[:8]
    code = _free_code("9")
    province = Division.objects.create(code=code, name=f"赛跑省{tag}", level="province", path=code)
    county_code = _free_code("8")
    county = Division.objects.create(
        code=county_code,
        name=f"赛跑县{tag}",
        level="county",
        parent=province,
        path=f"{code}/{county_code}",
    )
    bureau = Organization.objects.create(
        name=f"赛跑县农业农村局{tag}", kind=OrganizationKind.COUNTY_BUREAU, division=county
    )
    party_b = Organization.objects.create(
        name=f"承担单位{tag}", kind=OrganizationKind.PRODUCER, division=county
    )
    recorder = User.objects.create(username=f"race_{tag}")
    Membership.objects.create(user=recorder, organization=bureau, role=Role.COUNTY_ADMIN)
    product = product_save(
        actor=None, data={"name": f"赛跑产品{tag}", "category": "fruit_tea"}, divisions=[county]
    )
    program = program_create(
        actor=None,
        province=province,
        year=2022,
        name=f"赛跑工程{tag}",
        total_budget=allocation_amount,
        annual_summary_deadline=dt.date(2022, 11, 30),
    )
    for status in ("open", "reviewing", "implementing"):
        program = program_transition(actor=None, program=program, status=status)
    allocation = allocation_create(
        actor=None, program=program, product=product, amount=allocation_amount
    )
    contract = contract_create(
        actor=recorder,
        allocation=allocation,
        number=f"RACE-{tag}",
        title="赛跑合同",
        party_b=party_b,
        amount=contract_amount,
        area="production",
        start_date=dt.date(2022, 1, 1),
        end_date=dt.date(2022, 12, 31),
        signed_on=dt.date(2022, 1, 1),
    )
    return allocation, contract, recorder
