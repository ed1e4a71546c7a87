"""The demo's brand records (issue 8): quarters of provincial reports, national reports, videos,
the expos the plan names, and 清徐葡萄's story on its public page. One load for the module,
rolled back at its end (as test_demo_data.py does)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client, override_settings

from dibiao.brand import selectors
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo
from dibiao.demo.brand import MISSING_QUARTER, NO_NATIONAL, NO_VIDEO, brand_demo_load
from dibiao.demo.services import demo_load
from dibiao.registry.models import GIProduct

pytestmark = pytest.mark.django_db

QUARTERS = [
    (dt.date(2021, 1, 1), dt.date(2021, 3, 31)),
    (dt.date(2021, 4, 1), dt.date(2021, 6, 30)),
    (dt.date(2021, 7, 1), dt.date(2021, 9, 30)),
    (dt.date(2021, 10, 1), dt.date(2021, 12, 31)),
]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[None]:
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            DEMO_PASSWORD_FILE=tmp_path_factory.mktemp("demo") / "demo_password",
            DIBIAO_LEDGER_WITNESS=str(tmp_path_factory.mktemp("ledger") / "witness.jsonl"),
        ),
        transaction.atomic(),
    ):
        demo_load()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def products(loaded, db) -> dict[str, GIProduct]:
    return {p.name: p for p in GIProduct.objects.all()}


def test_provincial_reports_each_quarter_with_the_planned_gaps(products):
    for name, product in products.items():
        covered = [
            selectors.media_reports(
                product=product, level="provincial", start=start, end=end
            ).count()
            for start, end in QUARTERS
        ]
        expected = [0 if MISSING_QUARTER.get(name) == q else 1 for q in range(4)]
        assert covered == expected, name


def test_national_reports_and_videos_for_most_products(products):
    for name, product in products.items():
        national = selectors.media_reports(product=product, level="national").count()
        assert national == (0 if name in NO_NATIONAL else 1), name
        videos = selectors.promo_videos(product=product).count()
        assert videos == (0 if name in NO_VIDEO else 1), name


def test_the_expos_show_their_products(products):
    ciaf = Exhibition.objects.get(name="第十九届中国国际农产品交易会")
    assert ciaf.products.count() == 8
    fair = Exhibition.objects.get(name="第七届中国（山西）特色农产品交易博览会")
    assert fair.products.count() == 12
    assert fair.division is not None
    assert fair.division.code == "140100"
    grapes = selectors.exhibitions(
        product=products["清徐葡萄"], start=dt.date(2021, 1, 1), end=dt.date(2021, 12, 31)
    )
    assert grapes.count() == 3


def test_qingxu_grapes_story_is_on_its_public_page(products):
    product = products["清徐葡萄"]
    story = selectors.stories(product=product).get()
    assert story.title == "清徐葡萄的故事（演示）"
    page = Client().get(f"/products/{product.pk}/").content.decode()
    assert "清徐葡萄的故事（演示）" in page
    assert "清徐县马峪乡、清源镇、东于镇" in page  # from the product's own facts


def test_a_second_load_adds_nothing(loaded, db):
    counts = [m.objects.count() for m in (MediaReport, PromoVideo, Exhibition, BrandStory)]
    brand_demo_load()
    assert [m.objects.count() for m in (MediaReport, PromoVideo, Exhibition, BrandStory)] == counts
