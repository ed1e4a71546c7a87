from __future__ import annotations

import pytest

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role


@pytest.fixture
def holder(tree):
    return OrganizationFactory.create(
        kind=OrganizationKind.PRODUCER, division=tree["c1a"], name="清徐葡萄协会"
    )


@pytest.fixture
def own(tree, holder):
    """A product in county c1a (the county_admin fixture's county), held by `holder`."""
    return ProductFactory.create(
        name="清徐葡萄", divisions=[tree["c1a"]], certificate_holder=holder
    )


@pytest.fixture
def foreign(tree):
    """A product in county c2a (other_county_admin's)."""
    return ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])


@pytest.fixture
def producer(tree, holder):
    return user_with_role(Role.PRODUCER, tree["c1a"], organization=holder)
