"""Issue 4's demo records: for each of the 12 products a scale operator with a login, a large
household, a core base, two years of farmers driven with a household list, a label-use
agreement in force, a season of production logs, a training session and a test report; and the
national lists of banned and restricted inputs.

Everything here is invented (`fixtures/producers-demo.csv`, names ending in （演示）) and goes
through the owning apps' services as system actions, so every rule (check characters,
pre-harvest intervals, banned inputs, derived results) holds for the demo as for a user.
Dates follow today's date: the season is the most recent one whose harvest is over.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Organization
from dibiao.core.identifiers import credit_code_check_char, id_number_check_char
from dibiao.core.models import Division
from dibiao.producers.choices import AuthorizationStatus, BaseKind, ProducerKind
from dibiao.producers.models import Producer, ProductionBase
from dibiao.producers.services.authorizations import (
    authorization_apply,
    authorization_county_review,
    authorization_holder_review,
)
from dibiao.producers.services.bases import BaseInput, base_create
from dibiao.producers.services.directory import ProducerInput, producer_create
from dibiao.producers.services.farmers import farmer_link_create, household_import
from dibiao.production.choices import InputCategory, LogKind, LogStatus, TestItemCategory, TestKind
from dibiao.production.services.grading import grading_scheme_replace
from dibiao.production.services.logs import log_create
from dibiao.production.services.restrictions import (
    DEFAULT_RESTRICTION_FILE,
    restriction_lists_load_file,
)
from dibiao.production.services.test_reports import test_report_create
from dibiao.production.services.training import training_create
from dibiao.registry.choices import ProductCategory
from dibiao.registry.models import GIProduct

if TYPE_CHECKING:
    from dibiao.demo.services import DemoResult

DEMO_CSV = Path(__file__).resolve().parent / "fixtures" / "producers-demo.csv"
SQUARE_METRES_PER_MU = 10000 / 15
METRES_PER_DEGREE = 111_320.0
# Heads of household born in 1901: a valid ID number that cannot be a living person's.
DEMO_BIRTH_DATE = "19010101"
DEMO_SURNAMES = "王李张刘陈杨赵黄周吴"
DEMO_GIVEN_NAMES = ("建国", "秀英", "志强", "桂兰", "海军", "玉梅", "国庆", "春花", "长青", "满仓")

# Grading schemes for two products whose grade turns on a measured nutrition item.
GRADING = {
    "清徐葡萄": ("可溶性固形物", "%", ((1, "特级", "18"), (2, "一级", "16"), (3, "二级", "14"))),
    "临县开阳大枣": ("总糖", "%", ((1, "特级", "70"), (2, "一级", "65"), (3, "二级", "60"))),
}
NUTRITION_VALUES = {"清徐葡萄": "18.6", "临县开阳大枣": "67.2"}

# What a season looks like, by category: (kind, month offset from the season's start, day, title).
SEASON: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    ProductCategory.GRAIN_OIL: (
        (LogKind.MAINTENANCE, 0, 2, "播种机具检修保养"),
        (LogKind.SEEDING, 0, 12, "播种"),
    ),
    ProductCategory.LIVESTOCK: (
        (LogKind.MAINTENANCE, 0, 2, "羊舍清扫消毒"),
        (LogKind.SEEDING, 0, 15, "春季接羔"),
    ),
}
DEFAULT_SEASON = (
    (LogKind.MAINTENANCE, 0, 2, "灌溉与防护设施检修"),
    (LogKind.ACTIVITY, 0, 12, "春季萌芽期管理"),
)


def _rows() -> list[dict[str, str]]:
    with DEMO_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _season_year(harvest_month: int, today: dt.date) -> int:
    """The most recent season whose harvest (the 20th of its month) is over."""
    return today.year if dt.date(today.year, harvest_month, 25) < today else today.year - 1


def _credit_code(county_code: str, n: int) -> str:
    # 93 = a farmers' cooperative registered with the market regulator (GB 32100 first two).
    first17 = f"93{county_code}MA0D{n:05d}"
    return first17 + credit_code_check_char(first17)


def _id_number(county_code: str, n: int) -> str:
    first17 = f"{county_code}{DEMO_BIRTH_DATE}{n % 1000:03d}"
    return first17 + id_number_check_char(first17)


def _phone(n: int) -> str:
    return f"1380000{n:04d}"


def _square(longitude: float, latitude: float, area_mu: float) -> str:
    """A square boundary of about `area_mu` centred on the point (demo bases are not surveyed)."""
    side = math.sqrt(area_mu * SQUARE_METRES_PER_MU)
    half_lat = side / METRES_PER_DEGREE / 2
    half_lon = side / (METRES_PER_DEGREE * math.cos(math.radians(latitude))) / 2
    west, east = round(longitude - half_lon, 6), round(longitude + half_lon, 6)
    south, north = round(latitude - half_lat, 6), round(latitude + half_lat, 6)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _at(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, min(max(month, 1), 12), day, hour))


def _households_xlsx(county_code: str, village: str, start: int) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(["户主姓名", "身份证号码", "所在村", "家庭人口", "家庭年收入"])
    for i in range(10):
        name = DEMO_SURNAMES[i] + DEMO_GIVEN_NAMES[(i + start) % len(DEMO_GIVEN_NAMES)]
        number = _id_number(county_code, start + i)
        sheet.append([name, number, village, 3 + i % 3, f"{36000 + 1500 * i}.00"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        "带动农户名单.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def production_demo_load(result: DemoResult, *, today: dt.date | None = None) -> None:
    from dibiao.demo import services as demo

    today = today or timezone.localdate()
    restriction_lists_load_file(path=DEFAULT_RESTRICTION_FILE)
    lab = Organization.objects.get(name=demo.DEMO_LAB, kind=OrganizationKind.LAB)
    for n, row in enumerate(_rows(), start=1):
        product = GIProduct.objects.get(name=row["product"])
        if ProductionBase.objects.filter(product=product, name=row["base"]).exists():
            continue  # loaded before; the demo user's edits are kept
        county = Division.objects.get(code=row["county_code"])
        operator = _scale_operator(result, row, n, product, county)
        household = producer_create(
            actor=None,
            data=ProducerInput(
                name=row["household"],
                kind=ProducerKind.LARGE_HOUSEHOLD,
                division=county,
                id_number=_id_number(row["county_code"], 900 + n),
                legal_representative=DEMO_SURNAMES[n % 10] + "满囤",
                contact_name=DEMO_SURNAMES[n % 10] + "满囤",
                phone=_phone(500 + n),
                address=f"{county.name}（演示地址）",
                products=[product],
            ),
        )
        base = _base(row, operator, product, county)
        _household_base(row, household, product, county)
        _farmers(row, operator, n, today)
        _authorization(operator, product, today)
        season_year = _season_year(int(row["harvest_month"]), today)
        harvest_day = _logs(row, base, product, season_year)
        _training(row, product, county, season_year)
        _test_report(row, lab, operator, base, product, harvest_day, n)


def _scale_operator(
    result: DemoResult, row: dict[str, str], n: int, product: GIProduct, county: Division
) -> Producer:
    """The product's cooperative with a login: the certificate holder where the holder is a
    cooperative, else a demo cooperative with an account `coop_<county code>`."""
    from dibiao.demo import services as demo

    holder = product.certificate_holder
    if not row["cooperative"] and holder is not None:
        organization, name, is_holder = holder, holder.name, True
    else:
        organization = demo._organization(row["cooperative"], OrganizationKind.PRODUCER, county)
        demo._account(
            result, f"coop_{row['county_code']}", row["cooperative"], organization, Role.PRODUCER
        )
        name, is_holder = row["cooperative"], False
    return producer_create(
        actor=None,
        data=ProducerInput(
            name=name,
            kind=ProducerKind.COOPERATIVE,
            division=county,
            credit_code=_credit_code(row["county_code"], n),
            legal_representative=DEMO_SURNAMES[(n + 3) % 10] + "振华",
            contact_name=DEMO_SURNAMES[(n + 5) % 10] + "丽萍",
            phone=_phone(n),
            address=f"{county.name}（演示地址）",
            products=[product],
            is_certificate_holder=is_holder,
            is_scale_operator=True,
            organization=organization,
        ),
    )


def _base(
    row: dict[str, str], operator: Producer, product: GIProduct, county: Division
) -> ProductionBase:
    longitude, latitude = float(row["longitude"]), float(row["latitude"])
    area = Decimal(row["base_area_mu"])
    return base_create(
        actor=None,
        producer=operator,
        data=BaseInput(
            product=product,
            kind=BaseKind.CORE,
            name=row["base"],
            area_mu=area,
            division=county,
            address=f"{county.name}（演示位置，距县城数公里）",
            longitude=Decimal(row["longitude"]),
            latitude=Decimal(row["latitude"]),
            boundary=_square(longitude, latitude, float(area)),
            has_storage=True,
            has_cold_chain=product.category
            in {ProductCategory.FRUIT_TEA, ProductCategory.LIVESTOCK},
            facilities="仓储库房一座；"
            + ("冷藏库一座。" if product.category != "grain_oil" else "晾晒场一处。"),
        ),
    )


def _household_base(
    row: dict[str, str], household: Producer, product: GIProduct, county: Division
) -> ProductionBase:
    return base_create(
        actor=None,
        producer=household,
        data=BaseInput(
            product=product,
            kind=BaseKind.CORE,
            name=f"{row['household'].removesuffix('（演示）')}自营基地（演示）",
            area_mu=Decimal(row["household_base_area_mu"]),
            division=county,
            longitude=Decimal(row["longitude"]) + Decimal("0.02"),
            latitude=Decimal(row["latitude"]) - Decimal("0.015"),
        ),
    )


def _farmers(row: dict[str, str], operator: Producer, n: int, today: dt.date) -> None:
    last = today.year - 1
    households = 520 + 25 * n
    income = Decimal(12600 + 300 * n)
    for year, growth in ((last - 1, Decimal(1)), (last, Decimal("1.11") + Decimal(n % 4) / 100)):
        count = households + (40 if year == last else 0)
        farmer_link_create(
            actor=None,
            producer=operator,
            year=year,
            households=count,
            people=count * 3 + n,
            per_capita_income=(income * growth).quantize(Decimal("0.01")),
            notes="演示数据",
        )
    village = f"{row['base'][:3]}村"
    household_import(
        actor=None,
        producer=operator,
        year=last,
        upload=_households_xlsx(row["county_code"], village, start=10 * n),
    )


def _authorization(operator: Producer, product: GIProduct, today: dt.date) -> None:
    authorization = authorization_apply(
        actor=None,
        producer=operator,
        product=product,
        year=today.year,
        qualifications="依法登记的农民专业合作社，具备相应生产能力（演示）",
        production_plan="按生产技术规程组织生产，核心基地统一管理（演示）",
        quality_measures="统一投入品、统一技术、统一采收，建立生产记录并开展自检（演示）",
        requested_quantity=200_000,
        scope="本社生产的该产品，礼盒与散装（演示）",
        commitment=True,
    )
    if authorization.status == AuthorizationStatus.PENDING_HOLDER:
        authorization = authorization_holder_review(
            actor=None, authorization=authorization, approve=True, comment="同意（演示）"
        )
    if authorization.status == AuthorizationStatus.PENDING_COUNTY:
        authorization_county_review(
            actor=None,
            authorization=authorization,
            approve=True,
            comment="符合条件，同意授权（演示）",
            authorized_quantity=150_000,
        )


def _log(base: ProductionBase, when: dt.datetime, kind: str, title: str, **fields: Any) -> None:
    # What lies ahead of today is planned work (计划), not done.
    status = LogStatus.DONE if when <= timezone.now() else LogStatus.PENDING
    data: dict[str, Any] = {
        "kind": kind,
        "occurred_at": when,
        "product": base.product,
        "title": title,
        "operator": "基地技术员（演示）",
        "status": status,
        **fields,
    }
    log_create(actor=None, base=base, data=data)


def _logs(row: dict[str, str], base: ProductionBase, product: GIProduct, year: int) -> dt.date:
    """A season: upkeep, sowing or spring work, manure, the usual work, monthly field checks,
    one pesticide or drug use well before the harvest, the harvest, and clearing up. Returns the
    harvest day."""
    start, harvest_month = int(row["season_start"]), int(row["harvest_month"])
    for kind, offset, day, title in SEASON.get(product.category, DEFAULT_SEASON):
        _log(base, _at(year, start + offset, day), kind, title)
    _log(
        base,
        _at(year, start, 20),
        LogKind.INPUT,
        "基施有机肥",
        input_category=InputCategory.FERTILIZER,
        input_name="商品有机肥（演示）",
        dose="300千克/亩" if product.category != ProductCategory.LIVESTOCK else "—",
        applied_area_mu=Decimal(row["base_area_mu"]),
    )
    _log(base, _at(year, min(start + 1, harvest_month), 8), LogKind.ACTIVITY, row["activity"])
    for month in range(start + 1, harvest_month + 1):
        _log(
            base,
            _at(year, month, 3, 15),
            LogKind.OBSERVATION,
            "田间巡查",
            notes="长势正常，未见明显病虫害（演示）",
        )
    harvest_at = _at(year, harvest_month, 20)
    interval = int(row["interval_days"])
    category = (
        InputCategory.VETERINARY_DRUG
        if row["input_registration"].startswith("兽药")
        else InputCategory.PESTICIDE
    )
    _log(
        base,
        harvest_at - dt.timedelta(days=interval + 10),
        LogKind.INPUT,
        f"施用{row['input_name']}",
        input_category=category,
        input_name=row["input_name"],
        registration_number=row["input_registration"],
        active_ingredient=row["input_ingredient"],
        dose=row["input_dose"],
        applied_area_mu=Decimal(row["base_area_mu"])
        if category == InputCategory.PESTICIDE
        else None,
        safety_interval_days=interval,
    )
    quantity = (Decimal(row["base_area_mu"]) * Decimal(row["yield_per_mu"])).quantize(Decimal(1))
    _log(
        base,
        harvest_at,
        LogKind.HARVEST,
        "出栏" if product.category == ProductCategory.LIVESTOCK else "采收",
        quantity=quantity,
        unit=row["harvest_unit"],
    )
    _log(base, harvest_at + dt.timedelta(days=7), LogKind.MAINTENANCE, "采后清园与设施整理")
    # The year goes on after the harvest: field checks to the winter, and the winter upkeep.
    for month in range(harvest_month + 1, 12):
        _log(base, _at(year, month, 3, 15), LogKind.OBSERVATION, "采后管护巡查")
    _log(base, _at(year, 12, 10), LogKind.MAINTENANCE, "冬季管护与设施保养")
    return harvest_at.date()


def _training(row: dict[str, str], product: GIProduct, county: Division, year: int) -> None:
    from dibiao.demo import services as demo

    # 上党区 and 灵石县 have no demo account: their bureau is created, as an organization only.
    bureau = demo._organization(f"{county.name}农业农村局", OrganizationKind.COUNTY_BUREAU, county)
    training_create(
        actor=None,
        organizer=bureau,
        data={
            "product": product,
            "division": county,
            "held_on": dt.date(year, int(row["season_start"]), 6),
            "place": f"{county.name}农业农村局培训室（演示）",
            "topic": row["training_topic"],
            "trainer": "省级产业技术体系专家（演示）",
            "attendee_count": 80 + 5 * len(row["product"]),
            "notes": "演示数据",
        },
    )


def _test_report(
    row: dict[str, str],
    lab: Organization,
    operator: Producer,
    base: ProductionBase,
    product: GIProduct,
    harvest_day: dt.date,
    n: int,
) -> None:
    items: list[dict[str, Any]] = [
        {
            "name": "铅（以Pb计）",
            "category": TestItemCategory.SAFETY,
            "value": Decimal("0.021"),
            "unit": "mg/kg",
            "limit_min": None,
            "limit_max": Decimal("0.2"),
            "method": "GB 5009.12-2017",
        },
        {
            "name": f"{row['input_ingredient']}残留",
            "category": TestItemCategory.SAFETY,
            "value": Decimal("0.01"),
            "unit": "mg/kg",
            "limit_min": None,
            "limit_max": Decimal("0.5"),
            "method": "GB 23200.8-2016",
        },
    ]
    kind = TestKind.SAFETY
    if product.name in GRADING:
        item_name, unit, grades = GRADING[product.name]
        grading_scheme_replace(
            actor=None,
            product=product,
            grades=[
                {
                    "name": name,
                    "rank": rank,
                    "criteria": [
                        {
                            "item_name": item_name,
                            "unit": unit,
                            "min_value": Decimal(minimum),
                            "max_value": None,
                        }
                    ],
                }
                for rank, name, minimum in grades
            ],
        )
        items.append(
            {
                "name": item_name,
                "category": TestItemCategory.NUTRITION,
                "value": Decimal(NUTRITION_VALUES[product.name]),
                "unit": unit,
                "limit_min": None,
                "limit_max": None,
                "method": "NY/T 2637-2014" if item_name == "可溶性固形物" else "GB 5009.8-2016",
            }
        )
    test_report_create(
        actor=None,
        lab=lab,
        kind=kind,
        report_number=f"DEMO-{harvest_day.year}-{n:04d}",
        product=product,
        producer=operator,
        base=base,
        sample_code=f"YP{harvest_day:%Y%m%d}{n:03d}",
        batch_code="",
        sampled_on=harvest_day + dt.timedelta(days=1),
        tested_on=harvest_day + dt.timedelta(days=4),
        notes="演示数据：检测值与限量仅作演示，不代表该产品的真实检测结果。",
        items=items,
        upload=None,
    )
