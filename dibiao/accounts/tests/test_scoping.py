from __future__ import annotations

import pytest

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Organization
from dibiao.accounts.scoping import scope_for
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    division_tree,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_county_user_sees_only_own_county_products(tree):
    own = ProductFactory.create(divisions=[tree["c1a"]])
    ProductFactory.create(divisions=[tree["c1b"]])
    user = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    assert list(GIProduct.objects.restrict(user)) == [own]


def test_city_user_sees_its_counties_and_city_level_products(tree):
    in_county = ProductFactory.create(divisions=[tree["c1a"]])
    at_city = ProductFactory.create(divisions=[tree["c1"]])
    ProductFactory.create(divisions=[tree["c2a"]])
    user = user_with_role(Role.CITY_ADMIN, tree["c1"])
    assert set(GIProduct.objects.restrict(user)) == {in_county, at_city}


def test_province_user_sees_every_product_once_even_across_counties(tree):
    spanning = ProductFactory.create(divisions=[tree["c1a"], tree["c1b"], tree["c2a"]])
    at_province = ProductFactory.create(divisions=[tree["p"]])
    other_province = ProductFactory.create(divisions=[division_tree("620000")["c1a"]])
    user = user_with_role(Role.PROVINCE_ADMIN, tree["p"])
    rows = list(GIProduct.objects.restrict(user))
    assert sorted(p.pk for p in rows) == sorted([spanning.pk, at_province.pk])
    assert other_province not in rows


def test_producer_sees_own_organization_and_products_it_holds(tree):
    producer_org = OrganizationFactory.create(division=tree["c1a"])
    held = ProductFactory.create(divisions=[tree["c1b"]], certificate_holder=producer_org)
    ProductFactory.create(divisions=[tree["c1a"]])
    user = user_with_role(Role.PRODUCER, tree["c1a"], organization=producer_org)
    assert list(GIProduct.objects.restrict(user)) == [held]
    assert list(Organization.objects.restrict(user)) == [producer_org]


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.EXPERT])
def test_roles_without_business_scope_see_no_business_rows(tree, role):
    ProductFactory.create(divisions=[tree["c1a"]])
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


def test_city_subtree_is_the_city_and_its_counties_only(tree):
    user = user_with_role(Role.CITY_ADMIN, tree["c1"])
    scope = scope_for(user)
    assert tree["c2a"].pk not in scope.division_ids
    assert {tree["c1"].pk, tree["c1a"].pk, tree["c1b"].pk} == set(scope.division_ids)


def test_deactivated_organization_takes_roles_away_too(tree):
    from dibiao.accounts.models import User
    from dibiao.accounts.permissions import has_role

    user = user_with_role(Role.SECADMIN, tree["p"])
    organization = user.memberships.get().organization
    organization.is_active = False
    organization.save()
    assert not has_role(User.objects.get(pk=user.pk), Role.SECADMIN)
