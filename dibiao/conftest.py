"""Fixtures shared by every app's tests: a small division tree and one user per role."""

from __future__ import annotations

import pytest

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.testing.factories import OrganizationFactory, division_tree, user_with_role


@pytest.fixture
def tree() -> dict[str, Division]:
    return division_tree()


@pytest.fixture
def province_admin(tree: dict[str, Division]) -> User:
    return user_with_role(Role.PROVINCE_ADMIN, tree["p"])


@pytest.fixture
def city_admin(tree: dict[str, Division]) -> User:
    return user_with_role(Role.CITY_ADMIN, tree["c1"])


@pytest.fixture
def county_admin(tree: dict[str, Division]) -> User:
    """County administrator of c1a, the county most tests put their product in."""
    return user_with_role(Role.COUNTY_ADMIN, tree["c1a"])


@pytest.fixture
def other_county_admin(tree: dict[str, Division]) -> User:
    """County administrator of c2a: another city's county."""
    return user_with_role(Role.COUNTY_ADMIN, tree["c2a"])


@pytest.fixture
def auditor(tree: dict[str, Division]) -> User:
    return user_with_role(Role.AUDITOR, tree["p"])


@pytest.fixture
def dept(tree: dict[str, Division]) -> Organization:
    """The provincial department, where the province and the three administrators sit."""
    return OrganizationFactory.create(
        kind=OrganizationKind.PROVINCIAL_DEPT, division=tree["p"], name="省农业农村厅"
    )


@pytest.fixture
def secadmin(tree: dict[str, Division], dept: Organization) -> User:
    return user_with_role(Role.SECADMIN, tree["p"], organization=dept)


@pytest.fixture
def sysadmin(tree: dict[str, Division], dept: Organization) -> User:
    return user_with_role(Role.SYSADMIN, tree["p"], organization=dept)


@pytest.fixture
def lab_user(tree: dict[str, Division]) -> User:
    """A testing institution's user; its lab sits in the province."""
    return user_with_role(Role.LAB, tree["p"])
