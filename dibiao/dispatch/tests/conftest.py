"""Fixtures of the dispatch tests: a frozen clock and an implementing 2022 program.

The clock stands at 2022-03-01 10:00 Beijing time when the program and its allocations are
made, so they report from March 2022 (monthly report for month M due on the 5th of M+1, the
annual summary due 2022-11-30). Tests move the clock; they never write past dates into rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.core.models import Division
from dibiao.dispatch import services
from dibiao.dispatch.choices import ReportKind
from dibiao.dispatch.models import DispatchReport
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program, ProgramTarget
from dibiao.projects.services import allocation_create, program_create, program_transition
from dibiao.testing.factories import ProductFactory, user_with_role

BEIJING = ZoneInfo("Asia/Shanghai")
START = dt.date(2022, 3, 1)
JULY = dt.date(2022, 7, 1)


def beijing(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


class Clock:
    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def move_to(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        self._traveller.move_to(beijing(day, hour, minute), tick=False)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(beijing(START), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def program(clock: Clock, tree: dict[str, Division], province_admin: User) -> Program:
    program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2022,
        name="2022年地理标志农产品保护工程",
        total_budget="9000000.00",
        annual_summary_deadline=dt.date(2022, 11, 30),
        monthly_dispatch_day=5,
    )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = program_transition(actor=province_admin, program=program, status=status)
    return program


@pytest.fixture
def allocation(program: Program, tree: dict[str, Division], province_admin: User) -> Allocation:
    """清徐葡萄, implemented by county c1a (county_admin's county)."""
    product = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    return allocation_create(
        actor=province_admin, program=program, product=product, amount="3000000.00"
    )


@pytest.fixture
def other_allocation(
    program: Program, tree: dict[str, Division], province_admin: User
) -> Allocation:
    """沁水刺槐蜂蜜, implemented by county c2a (other_county_admin's, in the other city)."""
    product = ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])
    return allocation_create(
        actor=province_admin, program=program, product=product, amount="2700000.00"
    )


@pytest.fixture
def other_city_admin(tree: dict[str, Division]) -> User:
    return user_with_role(Role.CITY_ADMIN, tree["c2"])


@pytest.fixture
def colleague(county_admin: User, tree: dict[str, Division]) -> User:
    """A second county administrator in county_admin's bureau."""
    bureau = county_admin.memberships.get().organization
    return user_with_role(Role.COUNTY_ADMIN, tree["c1a"], organization=bureau)


@pytest.fixture
def training(program: Program) -> ProgramTarget:
    return program.targets.get(code="training")


def file_report(
    actor: User,
    allocation: Allocation,
    *,
    kind: str = ReportKind.MONTHLY,
    start: dt.date = JULY,
    summary: str = "完成标准化基地建设 200 亩。",
    submit: bool = True,
) -> DispatchReport:
    """Save (and by default submit) a report with a summary and the training line."""
    target = allocation.program.targets.get(code="training")
    report = services.report_save(
        actor=actor,
        allocation=allocation,
        kind=kind,
        period_start=start,
        data={"summary": summary, "problems": "雨季影响施工。", "next_steps": "开展培训。"},
        lines=[services.ProgressInput(target.pk, "举办培训 2 期", Decimal("180"))],
    )
    if submit:
        report = services.report_submit(actor=actor, report=report)
    return report
