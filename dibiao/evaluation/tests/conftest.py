"""Fixtures of the evaluation tests: a frozen clock on 2022-01-15 (Beijing) and the 2021 program
implementing three products — 清徐葡萄 in county c1a (county_admin's), 阳高京杏 in c1b (the same
city, c1) and 沁水蜂蜜 in c2a (other_county_admin's, another city) — plus helpers that write the
records the indicators read, through the owning apps' services where a rule matters (the fund
ledger, dispatch) and as plain rows otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.producers.models import Producer
from dibiao.production.models import TrainingSession
from dibiao.projects.choices import ImplementationArea, ProgramStatus
from dibiao.projects.models import Allocation, Contract, FundEntry, Program
from dibiao.projects.services import (
    allocation_create,
    allocation_record_disbursement,
    contract_create,
    entry_record,
    entry_review,
    program_create,
    program_transition,
)
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    producer,
    user_with_role,
)

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2022, 1, 15)


def beijing(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


class Clock:
    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def move_to(self, day: dt.date, hour: int = 10) -> None:
        self._traveller.move_to(beijing(day, hour), tick=False)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(beijing(TODAY), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def program(clock: Clock, tree: dict[str, Division], province_admin: User) -> Program:
    program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2021,
        name="2021年地理标志农产品保护工程",
        total_budget="9000000.00",
        annual_summary_deadline=dt.date(2021, 11, 30),
    )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = program_transition(actor=province_admin, program=program, status=status)
    return program


@pytest.fixture
def products(tree: dict[str, Division]) -> dict[str, GIProduct]:
    return {
        "a": ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]]),
        "b": ProductFactory.create(name="阳高京杏", divisions=[tree["c1b"]]),
        "c": ProductFactory.create(name="沁水蜂蜜", divisions=[tree["c2a"]]),
    }


@pytest.fixture
def allocations(
    program: Program, products: dict[str, GIProduct], province_admin: User
) -> dict[str, Allocation]:
    return {
        key: allocation_create(
            actor=province_admin, program=program, product=product, amount="3000000.00"
        )
        for key, product in products.items()
    }


@pytest.fixture
def allocation(allocations: dict[str, Allocation]) -> Allocation:
    """清徐葡萄's, implemented by county c1a."""
    return allocations["a"]


@pytest.fixture
def county_b_admin(tree: dict[str, Division]) -> User:
    return user_with_role(Role.COUNTY_ADMIN, tree["c1b"])


@pytest.fixture
def other_city_admin(tree: dict[str, Division]) -> User:
    return user_with_role(Role.CITY_ADMIN, tree["c2"])


@pytest.fixture
def unit(tree: dict[str, Division]) -> Organization:
    """The undertaking unit (a cooperative) in county c1a."""
    return OrganizationFactory.create(
        kind=OrganizationKind.PRODUCER, division=tree["c1a"], name="清徐县葡萄专业合作社"
    )


def contract_for(actor: User, allocation: Allocation, party_b: Organization) -> Contract:
    return contract_create(
        actor=actor,
        allocation=allocation,
        number=f"HT-{allocation.pk}",
        title="项目实施合同",
        party_b=party_b,
        amount=allocation.amount,
        area=ImplementationArea.PRODUCTION,
        start_date=dt.date(2021, 6, 1),
        end_date=dt.date(2022, 6, 30),
        signed_on=dt.date(2021, 6, 1),
    )


def pay(
    *,
    keeper: User,
    reviewer: User,
    allocation: Allocation,
    contract: Contract | None,
    paid_on: dt.date,
    amount: Decimal | str,
    approve: bool = True,
) -> FundEntry:
    entry = entry_record(
        actor=keeper,
        allocation=allocation,
        contract=contract,
        voucher_number=f"PZ-{paid_on:%Y%m%d}-{FundEntry.objects.count() + 1}",
        paid_on=paid_on,
        payee="清徐县葡萄专业合作社",
        amount=amount,
        area=ImplementationArea.PRODUCTION,
    )
    return entry_review(
        actor=reviewer, entry=entry, approve=approve, note="" if approve else "退回"
    )


def disburse(allocation: Allocation, day: dt.date) -> Allocation:
    return allocation_record_disbursement(actor=None, allocation=allocation, disbursed_on=day)


def training(product: GIProduct, division: Division, held_on: dt.date, attendees: int) -> Any:
    organizer = Organization.objects.filter(division=division).first() or (
        OrganizationFactory.create(kind=OrganizationKind.COUNTY_BUREAU, division=division)
    )
    return TrainingSession.objects.create(
        product=product,
        division=division,
        organizer=organizer,
        held_on=held_on,
        place="培训室",
        topic="按标生产",
        trainer="专家",
        attendee_count=attendees,
    )


def scale_operator(product: GIProduct, division: Division, **fields: Any) -> Producer:
    return producer(division, products=[product], is_scale_operator=True, **fields)
