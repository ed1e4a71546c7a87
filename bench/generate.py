"""A synthetic national-scale data set: 31 provinces of ~100 counties, 3,500 GI products and
100,000 organizations, deterministic for a given seed.

Shanxi (14) comes from the real division fixture that `load_demo` loads first; the generator adds
the other 30 provinces with synthetic cities and counties ("冀03市", "冀0307县") and then spreads
organizations and products over every county, Shanxi's included, so that a Shanxi user sees a
national-scale Shanxi. Everything is written with `bulk_create` in batches: the app's services
would audit and validate each row, which is right for users and far too slow for 100,000 rows.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db import models, transaction

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership, Organization, User
from dibiao.core.choices import DivisionLevel
from dibiao.core.models import Division
from dibiao.registry.choices import ProductCategory, ProductStatus
from dibiao.registry.models import GIProduct

BATCH = 2_000
T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=models.Model)

# The 31 provincial-level divisions (GB/T 2260 prefixes) with their one-character abbreviations,
# which name the synthetic cities and counties.
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "京"),
    "12": ("天津市", "津"),
    "13": ("河北省", "冀"),
    "14": ("山西省", "晋"),
    "15": ("内蒙古自治区", "蒙"),
    "21": ("辽宁省", "辽"),
    "22": ("吉林省", "吉"),
    "23": ("黑龙江省", "黑"),
    "31": ("上海市", "沪"),
    "32": ("江苏省", "苏"),
    "33": ("浙江省", "浙"),
    "34": ("安徽省", "皖"),
    "35": ("福建省", "闽"),
    "36": ("江西省", "赣"),
    "37": ("山东省", "鲁"),
    "41": ("河南省", "豫"),
    "42": ("湖北省", "鄂"),
    "43": ("湖南省", "湘"),
    "44": ("广东省", "粤"),
    "45": ("广西壮族自治区", "桂"),
    "46": ("海南省", "琼"),
    "50": ("重庆市", "渝"),
    "51": ("四川省", "川"),
    "52": ("贵州省", "黔"),
    "53": ("云南省", "滇"),
    "54": ("西藏自治区", "藏"),
    "61": ("陕西省", "陕"),
    "62": ("甘肃省", "甘"),
    "63": ("青海省", "青"),
    "64": ("宁夏回族自治区", "宁"),
    "65": ("新疆维吾尔自治区", "新"),
}

ITEMS: dict[str, tuple[str, ...]] = {
    ProductCategory.GRAIN_OIL: ("小米", "黄小米", "荞麦", "燕麦", "高粱", "红芸豆", "胡麻油"),
    ProductCategory.FRUIT_TEA: ("苹果", "红枣", "核桃", "梨", "葡萄", "山楂", "连翘茶", "杏"),
    ProductCategory.VEGETABLE: ("大蒜", "辣椒", "西红柿", "黄花菜", "马铃薯", "大葱", "山药"),
    ProductCategory.MEDICINAL: ("党参", "黄芪", "连翘", "酸枣仁", "柴胡", "远志"),
    ProductCategory.LIVESTOCK: ("羊肉", "黄牛肉", "土鸡", "黑猪", "蜂蜜", "鸡蛋"),
    ProductCategory.AQUATIC: ("鲤鱼", "草鱼", "河蟹", "鳟鱼"),
}
QUALITIES = ("色泽金黄，口感香甜", "果形端正，酸甜适口", "肉质细嫩，膻味轻", "有效成分含量高")
FIRM_WORDS = ("农民专业合作社", "家庭农场", "农业科技有限公司", "食品有限公司", "种植专业合作社")
ASSOCIATION_WORD = "特色农产品协会"
GOVERNMENT_BODIES: dict[str, tuple[tuple[str, str], ...]] = {
    DivisionLevel.PROVINCE: (("农业农村厅", OrganizationKind.PROVINCIAL_DEPT),),
    DivisionLevel.CITY: (
        ("农业农村局", OrganizationKind.CITY_BUREAU),
        ("农产品质量检测中心", OrganizationKind.LAB),
    ),
    DivisionLevel.COUNTY: (
        ("农业农村局", OrganizationKind.COUNTY_BUREAU),
        ("人民政府", OrganizationKind.COUNTY_GOV),
    ),
}
# Products per county: most GI products sit in one county, some span two or three in one city.
DIVISIONS_PER_PRODUCT = ((1, 70), (2, 20), (3, 10))


@dataclass(frozen=True)
class NationalScale:
    cities_per_province: int = 10
    counties_per_city: int = 10
    products: int = 3_500
    organizations: int = 100_000
    seed: int = 2021


@dataclass
class GenerationResult:
    """Who to measure as: the admin of the generated province with the most products, and the
    admin of that province's busiest county."""

    province_code: str
    province_admin: str
    county_code: str
    county_admin: str
    counts: dict[str, int] = field(default_factory=dict)


def _batches(items: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _bulk(model: type[ModelT], rows: Iterable[ModelT]) -> int:
    created = 0
    for batch in _batches(rows):
        model._default_manager.bulk_create(batch, batch_size=BATCH)
        created += len(batch)
    return created


def _aware(rng: random.Random, first_year: int, last_year: int) -> datetime:
    start = datetime(first_year, 1, 1, 8, 0, tzinfo=UTC)
    days = (datetime(last_year, 12, 31, tzinfo=UTC) - start).days
    return start + timedelta(days=rng.randint(0, days), minutes=rng.randint(0, 600))


def divisions_generate(*, scale: NationalScale) -> list[str]:
    """Create the provinces that are not in the database yet, with their cities and counties.

    Returns the 2-digit prefixes of the generated provinces.
    """
    existing = set(
        Division.objects.filter(level=DivisionLevel.PROVINCE).values_list("code", flat=True)
    )
    prefixes = [p for p in PROVINCES if f"{p}0000" not in existing]
    Division.objects.bulk_create(
        Division(
            code=f"{p}0000", name=PROVINCES[p][0], level=DivisionLevel.PROVINCE, path=f"{p}0000"
        )
        for p in prefixes
    )
    provinces = {
        d.code[:2]: d for d in Division.objects.filter(code__in=[f"{p}0000" for p in prefixes])
    }
    _bulk(
        Division,
        (
            Division(
                code=f"{p}{c:02d}00",
                name=f"{PROVINCES[p][1]}{c:02d}市",
                level=DivisionLevel.CITY,
                parent=provinces[p],
                path=f"{p}0000/{p}{c:02d}00",
            )
            for p in prefixes
            for c in range(1, scale.cities_per_province + 1)
        ),
    )
    cities = Division.objects.filter(
        level=DivisionLevel.CITY, parent__in=list(provinces.values())
    ).order_by("code")
    _bulk(
        Division,
        (
            Division(
                code=f"{city.code[:4]}{k:02d}",
                name=f"{PROVINCES[city.code[:2]][1]}{city.code[2:4]}{k:02d}县",
                level=DivisionLevel.COUNTY,
                parent=city,
                path=f"{city.path}/{city.code[:4]}{k:02d}",
            )
            for city in cities
            for k in range(1, scale.counties_per_city + 1)
        ),
    )
    return prefixes


def _province_weights(rng: random.Random) -> dict[str, float]:
    # Provinces differ in size, so that "the biggest province" is a real worst case.
    return {p: rng.uniform(0.5, 1.6) for p in PROVINCES}


def _counties() -> list[Division]:
    return list(
        Division.objects.filter(level=DivisionLevel.COUNTY)
        .select_related("parent")
        .order_by("code")
    )


def organizations_generate(
    *, total: int, prefixes: list[str], weights: dict[str, float], rng: random.Random
) -> int:
    """Government bodies for the generated provinces, a lab per generated city, then producers
    and associations over every county until there are `total` organizations."""
    generated = [d for d in Division.objects.order_by("code") if d.code[:2] in prefixes]
    government = (
        Organization(name=f"{d.name}{suffix}", kind=kind, division=d)
        for d in generated
        for suffix, kind in GOVERNMENT_BODIES[d.level]
    )
    created = _bulk(Organization, government)

    counties = _counties()
    missing = max(0, total - Organization.objects.count())
    chosen = rng.choices(counties, weights=[weights[c.code[:2]] for c in counties], k=missing)
    sequence: Counter[int] = Counter()

    def firms() -> Iterator[Organization]:
        for number, county in enumerate(chosen, start=1):
            sequence[county.pk] += 1
            city = county.parent.name if county.parent else ""
            association = rng.random() < 0.05
            word = ASSOCIATION_WORD if association else rng.choice(FIRM_WORDS)
            yield Organization(
                name=f"{county.name}{word}（{sequence[county.pk]:03d}）",
                kind=OrganizationKind.OTHER if association else OrganizationKind.PRODUCER,
                division=county,
                # 18 characters like a real 统一社会信用代码, unique by construction.
                credit_code=f"93{county.code[:2]}{number:014d}",
                contact="联系人（合成）",
                address=f"{PROVINCES[county.code[:2]][0]}{city}{county.name}",
                created_at=_aware(rng, 2015, 2024),
            )

    return created + _bulk(Organization, firms())


def _bbox(rng: random.Random) -> dict[str, Decimal]:
    lon, lat = rng.uniform(75, 133), rng.uniform(19, 52)
    d_lon, d_lat = rng.uniform(0.1, 1.2), rng.uniform(0.1, 0.9)
    q = Decimal("0.000001")
    return {
        "min_longitude": Decimal(lon).quantize(q),
        "max_longitude": Decimal(lon + d_lon).quantize(q),
        "min_latitude": Decimal(lat).quantize(q),
        "max_latitude": Decimal(lat + d_lat).quantize(q),
    }


def products_generate(*, total: int, weights: dict[str, float], rng: random.Random) -> int:
    """GI products until there are `total`, each in 1–3 counties of one city, most with a
    producer of their first county as certificate holder. Text fields are as long as the demo's,
    so that both scales render pages of the same weight."""
    missing = max(0, total - GIProduct.objects.count())
    counties = _counties()
    siblings: dict[int | None, list[Division]] = defaultdict(list)
    for county in counties:
        siblings[county.parent_id].append(county)
    producers: dict[int, list[int]] = defaultdict(list)
    for division_id, pk in Organization.objects.filter(kind=OrganizationKind.PRODUCER).values_list(
        "division_id", "pk"
    ):
        producers[division_id].append(pk)
    names = set(GIProduct.objects.values_list("name", flat=True))
    chosen = rng.choices(counties, weights=[weights[c.code[:2]] for c in counties], k=missing)
    sizes, size_weights = zip(*DIVISIONS_PER_PRODUCT, strict=True)

    products: list[GIProduct] = []
    division_lists: dict[str, list[int]] = {}
    for number, county in enumerate(chosen):
        category = rng.choice(ProductCategory.values)
        item = rng.choice(ITEMS[category])
        name, k = f"{county.name}{item}", 1
        while name in names:
            k += 1
            name = f"{county.name}{item}{k}"
        names.add(name)
        others = [s for s in siblings[county.parent_id] if s.pk != county.pk]
        extra = rng.sample(others, min(len(others), rng.choices(sizes, size_weights)[0] - 1))
        division_lists[name] = [county.pk, *(d.pk for d in extra)]
        holders = producers.get(county.pk, [])
        year = rng.randint(2008, 2023)
        created = _aware(rng, year, year)
        products.append(
            GIProduct(
                name=name,
                category=category,
                certificate_number=f"AGI{90000 + number:05d}" if rng.random() < 0.85 else "",
                qc_spec_number=f"AGI{year}-{number:04d}" if rng.random() < 0.6 else "",
                registration_year=year,
                announcement=f"农业部公告第{rng.randint(1000, 3000)}号"
                if rng.random() < 0.5
                else "",
                certificate_holder_id=rng.choice(holders)
                if holders and rng.random() < 0.8
                else None,
                protected_area=(
                    f"{county.parent.name if county.parent else ''}{county.name}所辖"
                    f"{rng.randint(3, 15)}个乡镇{rng.randint(20, 180)}个行政村"
                ),
                quality_characteristics=f"{item}{rng.choice(QUALITIES)}",
                notes="合成数据（bench.generate），非真实登记信息。",
                sources="bench.generate",
                status=ProductStatus.REGISTERED if rng.random() < 0.97 else ProductStatus.CANCELLED,
                created_at=created,
                updated_at=created,
                **(_bbox(rng) if rng.random() < 0.5 else {}),
            )
        )
    _bulk(GIProduct, products)

    ids = dict(GIProduct.objects.values_list("name", "pk"))
    through = GIProduct.divisions.through
    _bulk(
        through,
        (
            through(giproduct_id=ids[name], division_id=division_id)
            for name, division_ids in division_lists.items()
            for division_id in division_ids
        ),
    )
    return missing


def _busiest(division_ids: Iterable[int]) -> Counter[int]:
    """Products per division (a product is linked to a division at most once)."""
    through = GIProduct.divisions.through
    return Counter(
        through.objects.filter(division_id__in=list(division_ids)).values_list(
            "division_id", flat=True
        )
    )


def accounts_generate(*, prefixes: list[str]) -> GenerationResult:
    """A province admin per generated province and a county admin for the busiest county of the
    biggest one, created as memberships like the demo's (token auth: no usable password)."""
    depts = {
        o.division.code[:2]: o
        for o in Organization.objects.filter(
            kind=OrganizationKind.PROVINCIAL_DEPT,
            division__code__in=[f"{p}0000" for p in prefixes],
        ).select_related("division")
    }
    password = make_password(None)
    User.objects.bulk_create(
        User(
            username=f"bench_province_{p}",
            full_name=f"{PROVINCES[p][0]}管理员（合成）",
            password=password,
        )
        for p in prefixes
    )
    users = {u.username: u for u in User.objects.filter(username__startswith="bench_province_")}
    Membership.objects.bulk_create(
        Membership(
            user=users[f"bench_province_{p}"], organization=depts[p], role=Role.PROVINCE_ADMIN
        )
        for p in prefixes
    )

    by_province: Counter[str] = Counter()
    for p in prefixes:
        by_province[p] = GIProduct.objects.filter(
            pk__in=GIProduct.divisions.through.objects.filter(
                division__path__startswith=f"{p}0000/"
            ).values("giproduct_id")
        ).count()
    big = by_province.most_common(1)[0][0]
    county_ids = Division.objects.filter(
        level=DivisionLevel.COUNTY, path__startswith=f"{big}0000/"
    ).values_list("pk", flat=True)
    county = Division.objects.get(pk=_busiest(county_ids).most_common(1)[0][0])
    bureau = Organization.objects.get(division=county, kind=OrganizationKind.COUNTY_BUREAU)
    county_user = User.objects.create(
        username=f"bench_county_{county.code}",
        full_name=f"{county.name}农业农村局（合成）",
        password=password,
    )
    Membership.objects.create(user=county_user, organization=bureau, role=Role.COUNTY_ADMIN)
    return GenerationResult(
        province_code=f"{big}0000",
        province_admin=f"bench_province_{big}",
        county_code=county.code,
        county_admin=county_user.username,
    )


@transaction.atomic
def national_generate(*, scale: NationalScale | None = None) -> GenerationResult:
    """Grow a database that already holds the demo (`load_demo`) to national scale."""
    scale = scale or NationalScale()
    rng = random.Random(scale.seed)
    weights = _province_weights(rng)
    prefixes = divisions_generate(scale=scale)
    organizations_generate(total=scale.organizations, prefixes=prefixes, weights=weights, rng=rng)
    products_generate(total=scale.products, weights=weights, rng=rng)
    result = accounts_generate(prefixes=prefixes)
    result.counts = {
        "provinces": Division.objects.filter(level=DivisionLevel.PROVINCE).count(),
        "cities": Division.objects.filter(level=DivisionLevel.CITY).count(),
        "counties": Division.objects.filter(level=DivisionLevel.COUNTY).count(),
        "organizations": Organization.objects.count(),
        "products": GIProduct.objects.count(),
        "product_divisions": GIProduct.divisions.through.objects.count(),
        "users": User.objects.count(),
    }
    return result
