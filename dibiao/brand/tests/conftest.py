"""Fixtures of the brand tests: a product in county c1a (the county admin's), one in c2a
(another city's county), and a producer holding the first one's certificate."""

from __future__ import annotations

import pytest

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import User
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role


@pytest.fixture
def holder(tree) -> User:
    organization = OrganizationFactory.create(
        kind=OrganizationKind.PRODUCER, division=tree["c1a"], name="清徐县葡萄协会"
    )
    return user_with_role(Role.PRODUCER, tree["c1a"], organization=organization)


@pytest.fixture
def own(tree, holder) -> GIProduct:
    return ProductFactory.create(
        name="清徐葡萄",
        divisions=[tree["c1a"]],
        certificate_holder=holder.memberships.get().organization,
    )


@pytest.fixture
def other(tree) -> GIProduct:
    return ProductFactory.create(name="隰县玉露香梨", divisions=[tree["c2a"]])
