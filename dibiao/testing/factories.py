"""Factories for the foundation's models, shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory
from django.db.models import Model

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, Organization, User
from dibiao.core.models import Division
from dibiao.registry.choices import ProductCategory
from dibiao.registry.models import GIProduct

TEST_PASSWORD = "Correct-Horse-42"


def division_tree(province_code: str = "140000") -> dict[str, Division]:
    """A province with two cities, each with two counties: codes p, c1, c1a, c1b, c2, c2a, c2b."""
    prefix = province_code[:2]
    province = Division.objects.create(
        code=province_code, name=f"省{prefix}", level="province", path=province_code
    )
    tree = {"p": province}
    for i in (1, 2):
        city_code = f"{prefix}{i:02d}00"
        city = Division.objects.create(
            code=city_code,
            name=f"市{prefix}{i}",
            level="city",
            parent=province,
            path=f"{province_code}/{city_code}",
        )
        tree[f"c{i}"] = city
        for j, letter in ((21, "a"), (22, "b")):
            county_code = f"{prefix}{i:02d}{j}"
            tree[f"c{i}{letter}"] = Division.objects.create(
                code=county_code,
                name=f"县{county_code}",
                level="county",
                parent=city,
                path=f"{city.path}/{county_code}",
            )
    return tree


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"机构{n}")
    kind = OrganizationKind.PRODUCER


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: Model, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


ROLE_KIND: dict[str, str] = {
    Role.PROVINCE_ADMIN: OrganizationKind.PROVINCIAL_DEPT,
    Role.CITY_ADMIN: OrganizationKind.CITY_BUREAU,
    Role.COUNTY_ADMIN: OrganizationKind.COUNTY_BUREAU,
    Role.COUNTY_GOV: OrganizationKind.COUNTY_GOV,
    Role.PRODUCER: OrganizationKind.PRODUCER,
    Role.LAB: OrganizationKind.LAB,
    Role.EXPERT: OrganizationKind.OTHER,
    Role.SYSADMIN: OrganizationKind.PROVINCIAL_DEPT,
    Role.SECADMIN: OrganizationKind.PROVINCIAL_DEPT,
    Role.AUDITOR: OrganizationKind.PROVINCIAL_DEPT,
}


def user_with_role(
    role: str,
    division: Division,
    *,
    organization: Organization | None = None,
    username: str | None = None,
) -> User:
    """A user holding `role` in an organization of the right kind at `division`."""
    if organization is None:
        organization = OrganizationFactory.create(kind=ROLE_KIND[role], division=division)
    user = UserFactory.create(**({"username": username} if username else {}))
    Membership.objects.create(user=user, organization=organization, role=role)
    return user


class ProductFactory(factory.django.DjangoModelFactory[GIProduct]):
    class Meta:
        model = GIProduct
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"地标产品{n}")
    category = ProductCategory.FRUIT_TEA

    @factory.post_generation
    def divisions(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.divisions.set(extracted)
