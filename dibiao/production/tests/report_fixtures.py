"""Data helpers for the quality test and grading tests (plain functions: pytest loads fixtures
only from conftest.py, which is shared). A sample is a product of county c1a, a cooperative
there with a login, and one of its bases; labs sit in the province."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization, User
from dibiao.core.models import Division
from dibiao.producers.models import Producer, ProductionBase
from dibiao.production.models import GradeStandard, TestReport
from dibiao.production.services import grading, test_reports
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    producer_user,
    production_base,
    user_with_role,
)

TODAY = timezone.localdate()
SAMPLED = TODAY - dt.timedelta(days=10)
TESTED = TODAY - dt.timedelta(days=3)


@dataclass
class Sample:
    product: GIProduct
    producer: Producer
    producer_login: User
    base: ProductionBase


def sample_in(division: Division, product: GIProduct | None = None) -> Sample:
    product = product or ProductFactory.create(divisions=[division])
    login, entry = producer_user(division, products=[product])
    return Sample(product, entry, login, production_base(entry, product))


def lab_of(user: User) -> Organization:
    return user.memberships.get(role=Role.LAB).organization


def new_lab(division: Division, name: str = "市农产品质量检测站") -> tuple[Organization, User]:
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=division, name=name)
    return lab, user_with_role(Role.LAB, division, organization=lab)


def item(
    name: str,
    value: str,
    *,
    unit: str = "mg/kg",
    limit_min: str | None = None,
    limit_max: str | None = None,
    category: str = "safety",
    method: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "value": value,
        "unit": unit,
        "limit_min": limit_min,
        "limit_max": limit_max,
        "method": method,
    }


def record(
    actor: User | None,
    sample: Sample,
    *,
    lab: Organization,
    items: list[dict[str, Any]] | None = None,
    number: str = "JC-2024-001",
    sample_code: str = "YP-001",
    batch_code: str = "",
    base: ProductionBase | None = None,
    kind: str = "safety",
    sampled_on: dt.date = SAMPLED,
    tested_on: dt.date = TESTED,
    upload: Any = None,
) -> TestReport:
    return test_reports.test_report_create(
        actor=actor,
        lab=lab,
        kind=kind,
        report_number=number,
        product=sample.product,
        producer=sample.producer,
        base=base,
        sample_code=sample_code,
        batch_code=batch_code,
        sampled_on=sampled_on,
        tested_on=tested_on,
        notes="",
        items=items if items is not None else [item("毒死蜱", "0.01", limit_max="0.5")],
        upload=upload,
    )


def criterion(
    name: str, *, unit: str = "%", min_value: str | None = None, max_value: str | None = None
) -> dict[str, Any]:
    return {"item_name": name, "unit": unit, "min_value": min_value, "max_value": max_value}


def grade(name: str, rank: int | str, *criteria: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "rank": rank, "criteria": list(criteria), **extra}


def grape_scheme(actor: User | None, product: GIProduct) -> list[GradeStandard]:
    """特级: sugar ≥ 18 % and acid ≤ 0.6 %; 一级: sugar ≥ 16 %; 二级: sugar ≥ 14 %."""
    return grading.grading_scheme_replace(
        actor=actor,
        product=product,
        grades=[
            grade(
                "特级",
                1,
                criterion("可溶性固形物", min_value="18"),
                criterion("总酸", max_value="0.6"),
            ),
            grade("一级", 2, criterion("可溶性固形物", min_value="16")),
            grade("二级", 3, criterion("可溶性固形物", min_value="14")),
        ],
    )


def nutrition(sugar: str, acid: str | None = None) -> list[dict[str, Any]]:
    rows = [item("可溶性固形物", sugar, unit="%", category="nutrition")]
    if acid is not None:
        rows.append(item("总酸", acid, unit="%", category="nutrition"))
    return rows


def grade_name(report: TestReport) -> str | None:
    return report.grade.name if report.grade is not None else None
