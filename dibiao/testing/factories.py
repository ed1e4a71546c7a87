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


# --- Producers and production (issue 4) ----------------------------------------------------

# Valid under GB 32100 and GB 11643 (the standards' own examples and codes built from them);
# tests that need many distinct codes call `credit_code(n)` / `id_number(n)`.
VALID_CREDIT_CODE = "91350100M000100Y43"
VALID_ID_NUMBER = "11010519491231002X"


def credit_code(n: int) -> str:
    """A distinct, valid unified social credit code (GB 32100 check character computed)."""
    from dibiao.core.identifiers import credit_code_check_char

    first17 = f"93140100MA{n:07d}"
    return first17 + credit_code_check_char(first17)


def id_number(n: int) -> str:
    """A distinct, valid ID number (GB 11643 check character computed)."""
    from dibiao.core.identifiers import id_number_check_char

    first17 = f"140121198001{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def producer(
    division: Division,
    *,
    name: str | None = None,
    kind: str = "cooperative",
    organization: Organization | None = None,
    products: list[GIProduct] | None = None,
    phone: str = "13812345678",
    id_number_value: str = "",
    credit_code_value: str | None = None,
    **fields: Any,
) -> Any:
    """A directory entry with its personal data sealed as the services seal it."""
    from dibiao.core import pii
    from dibiao.producers.models import Producer

    n = Producer.objects.count() + 1 + Division.objects.count() * 1000
    if credit_code_value is None:
        credit_code_value = "" if kind in {"large_household", "individual"} else credit_code(n)
    if kind in {"large_household", "individual"} and not id_number_value:
        id_number_value = id_number(n)
    phone_sealed = pii.seal_phone(phone)
    id_sealed = pii.seal_id_number(id_number_value)
    entry = Producer.objects.create(
        name=name or f"主体{n}",
        kind=kind,
        division=division,
        credit_code=credit_code_value,
        organization=organization,
        phone_sealed=phone_sealed.sealed,
        phone_digest=phone_sealed.digest,
        phone_masked=phone_sealed.masked,
        id_number_sealed=id_sealed.sealed,
        id_number_digest=id_sealed.digest,
        id_number_masked=id_sealed.masked,
        **fields,
    )
    if products:
        entry.products.set(products)
    return entry


def producer_user(division: Division, **producer_fields: Any) -> tuple[User, Any]:
    """A producer login and its directory entry (linked through its organization)."""
    organization = OrganizationFactory.create(kind=OrganizationKind.PRODUCER, division=division)
    user = user_with_role(Role.PRODUCER, division, organization=organization)
    return user, producer(division, organization=organization, **producer_fields)


def production_base(entry: Any, product: GIProduct, **fields: Any) -> Any:
    from dibiao.producers.models import ProductionBase

    values: dict[str, Any] = {
        "kind": "core",
        "name": f"基地{ProductionBase.objects.count() + 1}",
        "division": entry.division,
        "area_mu": "100.00",
    }
    values.update(fields)
    return ProductionBase.objects.create(producer=entry, product=product, **values)
