from __future__ import annotations

import pytest

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import scope_for
from dibiao.core.tests.factories import (
    OrganizationFactory,
    ProductFactory,
    division_tree,
    user_with_role,
)
from dibiao.registry.models import GIProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return division_tree()


def test_county_user_sees_only_own_county_products(tree):
    own = ProductFactory(divisions=[tree["c1a"]])
    ProductFactory(divisions=[tree["c1b"]])
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    assert list(GIProduct.objects.restrict(user)) == [own]


def test_city_user_sees_its_counties_and_city_level_products(tree):
    in_county = ProductFactory(divisions=[tree["c1a"]])
    at_city = ProductFactory(divisions=[tree["c1"]])
    ProductFactory(divisions=[tree["c2a"]])
    user = user_with_role(Role.CITY_ADMIN, tree["c1"])
    assert set(GIProduct.objects.restrict(user)) == {in_county, at_city}


def test_province_user_sees_every_product_once_even_across_counties(tree):
    spanning = ProductFactory(divisions=[tree["c1a"], tree["c1b"], tree["c2a"]])
    unplaced = ProductFactory()
    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"])
    rows = list(GIProduct.objects.restrict(user))
    assert rows == [spanning]
    assert unplaced not in rows


def test_producer_sees_own_organization_and_products_it_holds(tree):
    producer_org = OrganizationFactory(division=tree["c1a"])
    held = ProductFactory(divisions=[tree["c1b"]], certificate_holder=producer_org)
    ProductFactory(divisions=[tree["c1a"]])
    user = user_with_role(Role.PRODUCER, tree["c1a"], organization=producer_org)
    assert list(GIProduct.objects.restrict(user)) == [held]
    assert list(Organization.objects.restrict(user)) == [producer_org]


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.EXPERT])
def test_roles_without_business_scope_see_no_business_rows(tree, role):
    ProductFactory(divisions=[tree["c1a"]])
    user = user_with_role(role, tree["p"])
    assert scope_for(user).is_empty
    assert not GIProduct.objects.restrict(user).exists()


def test_anonymous_and_inactive_users_have_empty_scope(tree):
    from django.contrib.auth.models import AnonymousUser

    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"])
    user.is_active = False
    assert scope_for(user).is_empty
    assert scope_for(AnonymousUser()).is_empty
    assert scope_for(None).is_empty


def test_subtree_prefix_does_not_leak_into_sibling_with_longer_code(tree):
    """A path "140000/1401" must not match "140000/140100x"-style neighbours: paths are compared
    segment-wise, never as a bare prefix."""
    user = user_with_role(Role.CITY_ADMIN, tree["c1"])
    scope = scope_for(user)
    assert tree["c2a"].pk not in scope.division_ids
    assert {tree["c1"].pk, tree["c1a"].pk, tree["c1b"].pk} == set(scope.division_ids)
