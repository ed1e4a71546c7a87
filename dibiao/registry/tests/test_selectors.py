from __future__ import annotations

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.errors import NotFoundError
from dibiao.registry.choices import ProductStatus
from dibiao.registry.models import GIProduct
from dibiao.registry.selectors import (
    product_counts_for_user,
    product_get_for_user,
    product_get_public,
    product_list_for_user,
    product_list_public,
)
from dibiao.registry.services import product_save
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def province_level(tree):
    """A product whose county is not known yet (like the demo's 灵石酸枣仁): placed at the province."""
    return ProductFactory.create(name="灵石酸枣仁", divisions=[tree["p"]])


def test_province_user_sees_a_product_placed_only_at_the_province(province_admin, province_level):
    assert list(product_list_for_user(user=province_admin)) == [province_level]
    assert product_get_for_user(user=province_admin, pk=province_level.pk) == province_level
    assert product_counts_for_user(user=province_admin)["total"] == 1


@pytest.mark.parametrize(
    ("role", "division_key"), [(Role.CITY_ADMIN, "c1"), (Role.COUNTY_ADMIN, "c1a")]
)
def test_city_and_county_users_do_not_see_a_province_level_product(
    tree, province_level, role, division_key
):
    user = user_with_role(role, tree[division_key])

    assert not product_list_for_user(user=user).exists()
    with pytest.raises(NotFoundError):
        product_get_for_user(user=user, pk=province_level.pk)


def test_another_province_does_not_see_a_province_level_product(province_level):
    from dibiao.testing.factories import division_tree

    other = division_tree("620000")
    assert not GIProduct.objects.restrict(user_with_role(Role.PROVINCE_ADMIN, other["p"])).exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SYSADMIN, Role.EXPERT])
def test_province_level_roles_without_business_scope_do_not_see_it(tree, province_level, role):
    assert not GIProduct.objects.restrict(user_with_role(role, tree["p"])).exists()


def test_producer_does_not_see_a_product_it_does_not_hold(tree, province_level):
    user = user_with_role(Role.PRODUCER, tree["c1a"])
    assert not GIProduct.objects.restrict(user).exists()


def test_province_admin_places_the_product_in_a_county_and_the_county_then_sees_it(
    tree, province_admin, county_admin, province_level
):
    product_save(actor=province_admin, product=province_level, data={}, divisions=[tree["c1a"]])

    assert list(product_list_for_user(user=county_admin)) == [province_level]


def test_product_in_two_counties_is_listed_once_for_their_city(tree, city_admin):
    spanning = ProductFactory.create(divisions=[tree["c1a"], tree["c1b"]])

    assert list(product_list_for_user(user=city_admin)) == [spanning]
    assert list(product_list_for_user(user=city_admin, division=tree["c1"].code)) == [spanning]
    assert product_counts_for_user(user=city_admin)["total"] == 1


def test_province_list_with_county_and_province_level_products_has_no_duplicates(
    tree, province_admin, province_level
):
    spanning = ProductFactory.create(name="跨县产品", divisions=[tree["c1a"], tree["c2a"]])

    rows = list(product_list_for_user(user=province_admin))
    assert len(rows) == 2
    assert set(rows) == {spanning, province_level}


def test_counts_for_user(tree, county_admin):
    holder = OrganizationFactory.create(division=tree["c1a"])
    ProductFactory.create(certificate_number="AGI01055", divisions=[tree["c1a"]])
    ProductFactory.create(certificate_holder=holder, divisions=[tree["c1a"]])
    ProductFactory.create(status=ProductStatus.CANCELLED, divisions=[tree["c1a"]])
    ProductFactory.create(divisions=[tree["c2a"]])

    assert product_counts_for_user(user=county_admin) == {
        "total": 3,
        "registered": 2,
        "with_certificate": 1,
        "without_holder": 2,
    }


def test_public_selectors_show_registered_products_whatever_their_division(tree, province_level):
    placed = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    cancelled = ProductFactory.create(status=ProductStatus.CANCELLED, divisions=[tree["c1a"]])

    rows = list(product_list_public())
    assert len(rows) == 2
    assert set(rows) == {province_level, placed}
    assert product_get_public(pk=placed.pk) == placed
    with pytest.raises(NotFoundError):
        product_get_public(pk=cancelled.pk)
