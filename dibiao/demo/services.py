"""The 2021 Shanxi demo: divisions, the 12 products, their organizations and demo accounts.

Idempotent: what exists already is left as it is (a demo user's edits survive a re-run), what is
missing is created. All writes go through the owning apps' services, as system actions.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, Organization, User
from dibiao.accounts.services import membership_grant, organization_save, user_create
from dibiao.core.boundaries import boundaries_load_file
from dibiao.core.errors import DomainError
from dibiao.core.models import Division
from dibiao.core.services import DEFAULT_DIVISIONS_FIXTURE, divisions_load_file
from dibiao.demo.brand import brand_demo_load
from dibiao.demo.funds import funds_demo_load
from dibiao.demo.production import production_demo_load
from dibiao.demo.trace import trace_demo_load
from dibiao.disclosure.demo import disclosure_demo_load
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Program
from dibiao.projects.services import allocation_create, program_create, program_transition
from dibiao.registry.choices import ProductCategory
from dibiao.registry.models import GIProduct
from dibiao.registry.services import product_save

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PRODUCTS_CSV = FIXTURES / "shanxi-2021-gi-products.csv"
EXTRACTED_CSV = FIXTURES / "shanxi-2021-gi-products-extracted.csv"
PROVINCE_CODE = "140000"
PROVINCE_DEPT = "山西省农业农村厅"
EXPERT_PANEL = "山西省地理标志农产品保护工程专家组"
DEMO_LAB = "地理标志农产品检测机构（演示）"
CATEGORY_BY_LABEL = {label: value for value, label in ProductCategory.choices}


class DemoError(DomainError):
    pass


@dataclass
class DemoResult:
    password: str
    password_source: str
    password_hash: str
    created_users: list[str] = field(default_factory=list)
    created_products: list[str] = field(default_factory=list)
    usernames: list[str] = field(default_factory=list)
    sample_codes: dict[str, str] = field(default_factory=dict)


def demo_password() -> tuple[str, str]:
    """DIBIAO_DEMO_PASSWORD if set, else one generated once and kept under var/."""
    if value := os.environ.get("DIBIAO_DEMO_PASSWORD"):
        return value, "DIBIAO_DEMO_PASSWORD"
    path: Path = settings.DEMO_PASSWORD_FILE
    try:
        # Created with owner-only permissions from the start (no window in which another local
        # user could read it); O_EXCL lets a concurrent loader's file win instead of being
        # overwritten.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"Db-{secrets.token_urlsafe(9)}\n")
    return path.read_text(encoding="utf-8").strip(), str(path)


def _read_products() -> list[dict[str, str]]:
    with PRODUCTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with EXTRACTED_CSV.open(encoding="utf-8", newline="") as handle:
        extracted = {row["name"]: row for row in csv.DictReader(handle)}
    for row in rows:
        row.update({k: v for k, v in extracted.get(row["name"], {}).items() if k != "name"})
    return rows


def _organization(name: str, kind: str, division: Division) -> Organization:
    existing = Organization.objects.filter(division=division, name=name).first()
    if existing is not None:
        return existing
    return organization_save(actor=None, data={"name": name, "kind": kind, "division": division})


def _account(
    result: DemoResult, username: str, full_name: str, organization: Organization, role: str
) -> None:
    result.usernames.append(username)
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            actor=None,
            username=username,
            password=result.password,
            password_hash=result.password_hash,
            full_name=full_name,
        )
        result.created_users.append(username)
    if not Membership.objects.filter(user=user, role=role).exists():
        membership_grant(actor=None, user=user, organization=organization, role=role)


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value.strip() else None


@transaction.atomic
def demo_load() -> DemoResult:
    if settings.PRODUCTION:
        raise DemoError("demo_in_production", "生产环境不能加载演示数据。")
    password, source = demo_password()
    result = DemoResult(
        password=password, password_source=source, password_hash=make_password(password)
    )
    divisions_load_file(path=DEFAULT_DIVISIONS_FIXTURE)
    boundaries_load_file()
    division = {d.code: d for d in Division.objects.filter(path__startswith=PROVINCE_CODE)}
    province = division[PROVINCE_CODE]

    dept = _organization(PROVINCE_DEPT, OrganizationKind.PROVINCIAL_DEPT, province)
    _account(result, "province_admin", "省级管理员（演示）", dept, Role.PROVINCE_ADMIN)
    for username, label, role in (
        ("sysadmin", "系统管理员（演示）", Role.SYSADMIN),
        ("secadmin", "安全管理员（演示）", Role.SECADMIN),
        ("auditor", "审计管理员（演示）", Role.AUDITOR),
    ):
        _account(result, username, label, dept, role)

    for city in sorted((d for d in division.values() if d.level == "city"), key=lambda d: d.code):
        bureau = _organization(f"{city.name}农业农村局", OrganizationKind.CITY_BUREAU, city)
        _account(result, f"city_{city.code}", f"{city.name}管理员（演示）", bureau, Role.CITY_ADMIN)

    products = _read_products()
    for code in sorted({row["county_code"] for row in products if row["county_code"]}):
        county = division[code]
        bureau = _organization(f"{county.name}农业农村局", OrganizationKind.COUNTY_BUREAU, county)
        government = _organization(f"{county.name}人民政府", OrganizationKind.COUNTY_GOV, county)
        _account(
            result, f"county_{code}", f"{county.name}农业农村局（演示）", bureau, Role.COUNTY_ADMIN
        )
        _account(
            result,
            f"countygov_{code}",
            f"{county.name}人民政府（演示）",
            government,
            Role.COUNTY_GOV,
        )

    panel = _organization(EXPERT_PANEL, OrganizationKind.OTHER, province)
    for n in range(1, 6):
        _account(result, f"expert{n}", f"评审专家{n}（演示）", panel, Role.EXPERT)
    lab = _organization(DEMO_LAB, OrganizationKind.LAB, province)
    _account(result, "lab1", "检测机构（演示）", lab, Role.LAB)

    producer_number = 0
    for row in products:
        # The most precise division the facts give: the county, else the city (上党高粱 spans
        # several of 长治市's counties), else the province (灵石酸枣仁: no source confirms a
        # county). Nothing is guessed below what is known.
        product_division = (
            division.get(row["county_code"])
            or next(
                (
                    d
                    for d in division.values()
                    if d.level == "city" and row["city"] and d.name == row["city"]
                ),
                None,
            )
            or province
        )
        holder = None
        if row["certificate_holder"]:
            holder = _organization(
                row["certificate_holder"], OrganizationKind.PRODUCER, product_division
            )
            producer_number += 1
            _account(result, f"producer_{producer_number}", holder.name, holder, Role.PRODUCER)
        if GIProduct.objects.filter(name=row["name"]).exists():
            continue
        product_save(
            actor=None,
            data={
                "name": row["name"],
                "category": CATEGORY_BY_LABEL[row["category"]],
                "certificate_number": row["agi_number"],
                "registration_year": int(row["registered_year"])
                if row["registered_year"]
                else None,
                "certificate_holder": holder,
                "qc_spec_number": row["qc_spec_number"],
                "announcement": row["announcement"],
                "protected_area": row["protected_area"],
                "quality_characteristics": row["quality_characteristics"],
                "min_longitude": _decimal(row["min_longitude"]),
                "max_longitude": _decimal(row["max_longitude"]),
                "min_latitude": _decimal(row["min_latitude"]),
                "max_latitude": _decimal(row["max_latitude"]),
                "notes": row["area_note"],
                "sources": row["source"].replace(" ; ", "\n"),
            },
            divisions=[product_division],
        )
        result.created_products.append(row["name"])
    _program_2021(province, products)
    disclosure_demo_load()
    production_demo_load(result)
    result.sample_codes = trace_demo_load().sample_codes
    brand_demo_load()
    funds_demo_load(result)
    return result


PROGRAM_2021 = "2021年山西省地理标志农产品保护工程"


def _program_2021(province: Division, products: list[dict[str, str]]) -> None:
    """The 2021 program as the plan funds it: 2 × 270 万 + 10 × 300 万 = 3540 万元, all 12
    products selected, implementation under way."""
    if Program.objects.filter(province=province, year=2021).exists():
        return
    funding = {row["name"]: Decimal(row["funding_wan_yuan"]) * 10000 for row in products}
    program = program_create(
        actor=None,
        province=province,
        year=2021,
        name=PROGRAM_2021,
        total_budget=sum(funding.values(), Decimal(0)),
        annual_summary_deadline=dt.date(2021, 11, 30),
    )
    for name, amount in funding.items():
        allocation_create(
            actor=None, program=program, product=GIProduct.objects.get(name=name), amount=amount
        )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = program_transition(actor=None, program=program, status=status)
