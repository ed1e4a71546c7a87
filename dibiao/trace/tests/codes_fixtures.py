"""Helpers and fixtures of the issuance, binding, label and job tests (imported by the test
modules: pytest loads fixtures only from conftest.py, which is shared).

The clock stands at 2026-09-10 10:00 Beijing time. 清徐葡萄 (AGI00001, registered) sits in
county c1a; `world` is a cooperative there with a login, a base, an agreement for 2026 of
`AUTHORIZED` labels (approved, valid all year) and a batch of 5,000 kg harvested on 2026-09-01
(which can carry 20,000 labels of 250 g). The label keys are fixed test keys and the public URL
is https://dibiao.example.org.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2  # type: ignore[import-untyped]
import pytest
import time_machine
import zxingcpp
from PIL import Image

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.core.models import Division
from dibiao.producers.models import LabelAuthorization, Producer
from dibiao.registry.models import GIProduct
from dibiao.testing.factories import ProductFactory, user_with_role
from dibiao.trace import codes
from dibiao.trace.models import Batch, CodeIssuance
from dibiao.trace.services import codes as services
from dibiao.trace.tests.batches_fixtures import Farm, api_as, client_as, farm, harvest, make_batch

BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 9, 10, 10, tzinfo=BEIJING)
YEAR = 2026
AUTHORIZED = 50_000
ORIGIN = "https://dibiao.example.org"
KEY_ID = 3
KEYS = {2: b"o" * 32, KEY_ID: b"n" * 32}

__all__ = ["api_as", "client_as"]


@pytest.fixture(autouse=True)
def label_settings(settings: Any) -> None:
    settings.DIBIAO_LABEL_KEYS = KEYS
    settings.DIBIAO_LABEL_KEY_ID = KEY_ID
    settings.DIBIAO_PUBLIC_URL = ORIGIN
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def approved_authorization(
    producer: Producer, product: GIProduct, *, quantity: int = AUTHORIZED, year: int = YEAR
) -> LabelAuthorization:
    """An agreement as the county's approval leaves it (the producers app tests the workflow)."""
    return LabelAuthorization.objects.create(
        producer=producer,
        product=product,
        year=year,
        number=f"AGI00001-{year}-{LabelAuthorization.objects.count() + 1:04d}",
        qualifications="农民专业合作社，营业执照齐全。",
        production_plan="种植 500 亩。",
        quality_measures="按技术规程生产。",
        requested_quantity=quantity,
        authorized_quantity=quantity,
        scope="5 kg 礼盒装",
        commitment=True,
        status="approved",
        valid_from=dt.date(year, 1, 1),
        valid_until=dt.date(year, 12, 31),
    )


@dataclass
class World:
    farm: Farm
    authorization: LabelAuthorization
    batch: Batch

    @property
    def user(self) -> User:
        return self.farm.user

    @property
    def producer(self) -> Producer:
        return self.farm.producer

    @property
    def product(self) -> GIProduct:
        return self.farm.product

    def issue(self, count: int = 10_000) -> CodeIssuance:
        return services.issuance_create(
            actor=self.user, authorization=self.authorization, count=count
        )


def world_in(division: Division, product: GIProduct, *, name: str) -> World:
    f = farm(division, product, name=name)
    batch = make_batch(f, harvest(f, "2026-09-01", quantity="5000"))
    return World(f, approved_authorization(f.producer, product), batch)


@pytest.fixture
def product(tree: dict[str, Division]) -> GIProduct:
    return ProductFactory.create(
        name="清徐葡萄", certificate_number="AGI00001", divisions=[tree["c1a"]]
    )


@pytest.fixture
def world(tree: dict[str, Division], product: GIProduct) -> World:
    return world_in(tree["c1a"], product, name="清徐县葡萄专业合作社")


@pytest.fixture
def other_world(tree: dict[str, Division]) -> World:
    """A producer of another product in county c2a (another city)."""
    other = ProductFactory.create(
        name="吉县苹果", certificate_number="AGI00002", divisions=[tree["c2a"]]
    )
    return world_in(tree["c2a"], other, name="吉县苹果合作社")


@pytest.fixture
def county_c1a(tree: dict[str, Division]) -> User:
    """The county bureau of c1a (same as `county_admin`, named for readability)."""
    return user_with_role(Role.COUNTY_ADMIN, tree["c1a"])


def code_of(issuance: CodeIssuance, serial: int) -> str:
    return codes.encode(issuance.key_id, serial)


def decode_pdf_page(content: bytes, page: int = 0, dpi: int = 200) -> list[str]:
    """The texts of the QR codes on one page of a PDF, read by zxing-cpp from a rendering."""
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        image: Image.Image = document[page].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_page_count(content: bytes) -> int:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        return len(document)
    finally:
        document.close()


def pdf_text(content: bytes, page: int = 0) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        text_page = document[page].get_textpage()
        return str(text_page.get_text_range())
    finally:
        document.close()
