"""Fixtures for the application pipeline: a 2022 program open for applications, a product in
county c1a, the people of each step, and an expert panel with one expert from c1a."""

from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.services import program_create, program_transition
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role


@pytest.fixture
def program(tree, province_admin):
    program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2022,
        name="2022年地理标志农产品保护工程",
        total_budget="10000000.00",
        annual_summary_deadline=dt.date(2022, 11, 30),
    )
    return program_transition(actor=province_admin, program=program, status=ProgramStatus.OPEN)


@pytest.fixture
def product(tree):
    return ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])


@pytest.fixture
def other_product(tree):
    return ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])


@pytest.fixture
def county_gov(tree):
    return user_with_role(Role.COUNTY_GOV, tree["c1a"])


@pytest.fixture
def other_county_gov(tree):
    return user_with_role(Role.COUNTY_GOV, tree["c2a"])


@pytest.fixture
def other_city_admin(tree):
    return user_with_role(Role.CITY_ADMIN, tree["c2"])


@pytest.fixture
def panel(tree):
    return OrganizationFactory.create(
        kind=OrganizationKind.OTHER, division=tree["p"], name="省地理标志评审专家库"
    )


@pytest.fixture
def experts(tree, panel):
    """Three panel experts at the province and a fourth who works in county c1a."""
    panel_experts = [
        user_with_role(Role.EXPERT, tree["p"], organization=panel, username=f"expert{n}")
        for n in (1, 2, 3)
    ]
    local_org = OrganizationFactory.create(
        kind=OrganizationKind.OTHER, division=tree["c1a"], name="县农业技术推广中心"
    )
    local = user_with_role(Role.EXPERT, tree["c1a"], organization=local_org, username="expert_c1a")
    return [*panel_experts, local]
