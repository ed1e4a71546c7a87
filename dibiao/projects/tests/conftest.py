"""A 2022 program in the test province, with one allocation for a product of county c1a and a
second county administrator there (the four-eyes reviewer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.core.models import Division
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program
from dibiao.projects.services import allocation_create, program_create, program_transition
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role


@pytest.fixture
def draft_program(tree: dict[str, Division], province_admin: User) -> Program:
    return program_create(
        actor=province_admin,
        province=tree["p"],
        year=2022,
        name="2022年地理标志农产品保护工程",
        total_budget="6000000.00",
        annual_summary_deadline=dt.date(2022, 11, 30),
    )


@pytest.fixture
def program(draft_program: Program, province_admin: User) -> Program:
    """The 2022 program under way (implementing): contracts and payments are allowed."""
    program = draft_program
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = program_transition(actor=province_admin, program=program, status=status)
    return program


@pytest.fixture
def product(tree: dict[str, Division]) -> GIProduct:
    return ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])


@pytest.fixture
def allocation(program: Program, product: GIProduct, province_admin: User) -> Allocation:
    return allocation_create(
        actor=province_admin, program=program, product=product, amount="3000000.00"
    )


@pytest.fixture
def reviewer(tree: dict[str, Division], county_admin: User) -> User:
    """A colleague of county_admin in the same county bureau."""
    bureau = county_admin.memberships.get().organization
    return user_with_role(Role.COUNTY_ADMIN, tree["c1a"], organization=bureau)


@pytest.fixture
def undertaker(tree: dict[str, Division]):
    return OrganizationFactory.create(name="清徐县葡萄专业合作社", division=tree["c1a"])


MILLION = Decimal("1000000.00")
