"""Fixtures of the label-use authorization tests (imported by the test modules: pytest loads
only conftest.py by itself).

The clock stands at 2024-06-01 10:00 Beijing time, so the production years one may apply for
are 2024 and 2025. The product 清徐葡萄 (AGI00001) sits in county c1a; its certificate holder is
an association there with a producer login (`holder_user`); `applicant` is a cooperative of
c1a producing it, with its own login (`applicant_user`).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.producers.services import authorizations as services
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    producer_user,
    user_with_role,
)

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2024, 6, 1)
YEAR = 2024


def beijing(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING)


class Clock:
    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def move_to(self, day: dt.date, hour: int = 10) -> None:
        self._traveller.move_to(beijing(day, hour), tick=False)


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    with time_machine.travel(beijing(TODAY), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture
def holder_org(tree: dict[str, Division]) -> Organization:
    return OrganizationFactory.create(
        name="清徐县葡萄产业协会", kind=OrganizationKind.PRODUCER, division=tree["c1a"]
    )


@pytest.fixture
def holder_user(tree: dict[str, Division], holder_org: Organization) -> User:
    return user_with_role(Role.PRODUCER, tree["c1a"], organization=holder_org)


@pytest.fixture
def product(tree: dict[str, Division], holder_org: Organization) -> GIProduct:
    return ProductFactory.create(
        name="清徐葡萄",
        certificate_number="AGI00001",
        certificate_holder=holder_org,
        divisions=[tree["c1a"]],
    )


@pytest.fixture
def applicant_pair(tree: dict[str, Division], product: GIProduct) -> tuple[User, Producer]:
    return producer_user(tree["c1a"], name="清徐县葡萄专业合作社", products=[product])


@pytest.fixture
def applicant_user(applicant_pair: tuple[User, Producer]) -> User:
    return applicant_pair[0]


@pytest.fixture
def applicant(applicant_pair: tuple[User, Producer]) -> Producer:
    return applicant_pair[1]


def application_data(**overrides: Any) -> dict[str, Any]:
    return {
        "year": YEAR,
        "qualifications": "农民专业合作社，营业执照齐全，社员 120 户。",
        "production_plan": "种植 500 亩，预计产量 800 吨，8 月上市。",
        "quality_measures": "按质量控制技术规范生产，建立生产记录，每批次自检。",
        "requested_quantity": 50000,
        "scope": "5 kg 礼盒装",
        "commitment": True,
        **overrides,
    }


def apply(actor: User | None, producer: Producer, product: GIProduct, **overrides: Any) -> Any:
    return services.authorization_apply(
        actor=actor, producer=producer, product=product, **application_data(**overrides)
    )


@pytest.fixture
def pending_holder(
    applicant_user: User, applicant: Producer, product: GIProduct
) -> LabelAuthorization:
    return apply(applicant_user, applicant, product)


@pytest.fixture
def pending_county(pending_holder: LabelAuthorization, holder_user: User) -> LabelAuthorization:
    return services.authorization_holder_review(
        actor=holder_user, authorization=pending_holder, approve=True, comment="同意"
    )


@pytest.fixture
def approved(pending_county: LabelAuthorization, county_admin: User) -> LabelAuthorization:
    return services.authorization_county_review(
        actor=county_admin, authorization=pending_county, approve=True
    )


def approved_for(
    producer: Producer, product: GIProduct, county_admin: User, *, year: int = YEAR
) -> LabelAuthorization:
    """An agreement for another entity, through the whole workflow as the system."""
    authorization = apply(None, producer, product, year=year)
    if authorization.status == "pending_holder":
        authorization = services.authorization_holder_review(
            actor=None, authorization=authorization, approve=True
        )
    return services.authorization_county_review(
        actor=county_admin, authorization=authorization, approve=True
    )
