"""Fixtures of the map's tests: Shanxi's real divisions and boundaries, loaded once per module
(about a second) and rolled back after it; each test runs in its own savepoint."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from dibiao.accounts.choices import OrganizationKind
from dibiao.accounts.models import Organization
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer, ProductionBase
from dibiao.producers.services.bases import BaseInput, base_create
from dibiao.production.models import TrainingSession
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import OrganizationFactory, ProductFactory, producer
from dibiao.trace.models import Scan
from dibiao.trace.tests.scan_fixtures import issuance

PINGYAO, QINGXU, JINZHONG, TAIYUAN = "140728", "140121", "140700", "140100"
XIAOYI = "141181"  # 孝义市, 吕梁市: another city's county
JIEXIU = "140781"  # 介休市, 晋中市
QINGXU_SEAT = (112.358, 37.607)  # 清徐县城
PINGYAO_POINT = (112.175, 37.20)


@pytest.fixture(scope="module")
def _shanxi_loaded(django_db_setup, django_db_blocker) -> Iterator[None]:
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_divisions", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def shanxi(_shanxi_loaded: None, db: None) -> dict[str, Division]:
    """Shanxi's 129 divisions by code, with their boundaries."""
    return Division.objects.in_bulk(field_name="code")


QINGXU_TEXT = "清徐县马峪乡、清源镇、东于镇3个乡镇37个行政村"


def square(x0: float, y0: float, size: float) -> str:
    """A GeoJSON Polygon (text) of a square with its south-west corner at (x0, y0)."""
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


@pytest.fixture
def qingxu_grape(shanxi: dict[str, Division]) -> GIProduct:
    """清徐葡萄 as the demo has it: the protected area described by its towns, no polygon."""
    return ProductFactory.create(
        name="清徐葡萄", protected_area=QINGXU_TEXT, divisions=[shanxi[QINGXU]]
    )


@pytest.fixture
def qingxu_cooperative(shanxi: dict[str, Division], qingxu_grape: GIProduct) -> Producer:
    return producer(shanxi[QINGXU], name="清徐县马峪葡萄专业合作社", products=[qingxu_grape])


def place_base(entry: Producer, product: GIProduct, lon: float, lat: float, **fields: Any) -> Any:
    """A base created through the producers service, which sets its protected-area flag."""
    data = BaseInput(
        product=product,
        kind=fields.pop("kind", "core"),
        name=fields.pop("name", f"基地{lon:.3f},{lat:.3f}"),
        area_mu=fields.pop("area_mu", "120"),
        longitude=Decimal(str(lon)),
        latitude=Decimal(str(lat)),
        **fields,
    )
    return base_create(actor=None, producer=entry, data=data)


def label_authorization(entry: Producer, product: GIProduct) -> LabelAuthorization:
    """An authorization in force today (whatever day the tests run)."""
    today = timezone.localdate()
    return LabelAuthorization.objects.create(
        producer=entry,
        product=product,
        year=today.year,
        qualifications="合作社营业执照",
        production_plan="种植 300 亩",
        quality_measures="按技术规程生产",
        requested_quantity=10_000,
        authorized_quantity=10_000,
        scope="礼盒装",
        commitment=True,
        status="approved",
        valid_from=today - dt.timedelta(days=30),
        valid_until=today + dt.timedelta(days=300),
    )


@dataclass
class MapWorld:
    """清徐 (太原) and 平遥 (晋中) with a product each, producers, bases, a lab, a training session
    and scans; the 清徐 cooperative is a label user, the household is not."""

    grape: GIProduct
    beef: GIProduct
    cooperative: Producer
    household: Producer
    pingyao_cooperative: Producer
    cooperative_base: ProductionBase
    household_base: ProductionBase
    pingyao_base: ProductionBase
    lab: Organization
    training: TrainingSession


@pytest.fixture
def world(shanxi: dict[str, Division], qingxu_grape: GIProduct) -> MapWorld:
    qingxu, pingyao = shanxi[QINGXU], shanxi[PINGYAO]
    beef = ProductFactory.create(
        name="平遥牛肉",
        protected_area="平遥县境内",
        min_longitude=Decimal("112.00"),
        max_longitude=Decimal("112.30"),
        min_latitude=Decimal("37.10"),
        max_latitude=Decimal("37.30"),
        divisions=[pingyao],
    )
    cooperative = producer(qingxu, name="马峪葡萄专业合作社", products=[qingxu_grape])
    household = producer(qingxu, name="张三", kind="individual", products=[qingxu_grape])
    pingyao_cooperative = producer(pingyao, name="平遥牛肉合作社", products=[beef])
    cooperative_base = place_base(cooperative, qingxu_grape, 112.312, 37.603, name="马峪基地")
    household_base = place_base(household, qingxu_grape, *QINGXU_SEAT, name="张三的葡萄园")
    pingyao_base = place_base(pingyao_cooperative, beef, *PINGYAO_POINT, name="平遥养殖基地")
    authorization = label_authorization(cooperative, qingxu_grape)
    issued = issuance(authorization, 1000, 1999)
    for serial in (1000, 1001, 1500):
        Scan.objects.create(serial=serial, key_id=issued.key_id, status="genuine")
    Scan.objects.create(serial=1002, key_id=issued.key_id, status="suspicious", mac_failed=True)
    lab = OrganizationFactory.create(kind=OrganizationKind.LAB, division=qingxu, name="清徐检测站")
    bureau = OrganizationFactory.create(kind=OrganizationKind.COUNTY_BUREAU, division=qingxu)
    training = TrainingSession.objects.create(
        product=qingxu_grape,
        division=qingxu,
        organizer=bureau,
        held_on=timezone.localdate(),
        place="马峪乡文化站",
        topic="葡萄标准化栽培",
        trainer="李老师",
        attendee_count=40,
    )
    return MapWorld(
        qingxu_grape,
        beef,
        cooperative,
        household,
        pingyao_cooperative,
        cooperative_base,
        household_base,
        pingyao_base,
        lab,
        training,
    )
