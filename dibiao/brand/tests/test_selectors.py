"""The selectors the indicators call (product and period, not scoped to a user) and the scoped
lists of the pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest

from dibiao.brand import selectors
from dibiao.brand.choices import MediaLevel, StoryStatus
from dibiao.brand.services.stories import story_set_status
from dibiao.brand.tests.support import exhibition, report, story, video
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db

Q1 = (dt.date(2021, 1, 1), dt.date(2021, 3, 31))
Q2 = (dt.date(2021, 4, 1), dt.date(2021, 6, 30))


@pytest.fixture
def reports(own, other):
    return {
        "q1a": report(own, published_on=dt.date(2021, 1, 1), title="一季度首日"),
        "q1b": report(own, published_on=dt.date(2021, 3, 31), title="一季度末日"),
        "q2": report(own, published_on=dt.date(2021, 4, 1), title="二季度首日"),
        "national": report(
            own, level=MediaLevel.NATIONAL, outlet="人民日报", published_on=dt.date(2021, 5, 20)
        ),
        "county": report(own, level=MediaLevel.COUNTY, outlet="清徐融媒", title="县级"),
        "old": report(own, published_on=dt.date(2020, 12, 31), title="上年"),
        "other": report(other, published_on=dt.date(2021, 2, 1)),
    }


def test_media_reports_by_level_and_quarter_with_inclusive_bounds(own, reports):
    q1 = selectors.media_reports(product=own, level=MediaLevel.PROVINCIAL, start=Q1[0], end=Q1[1])
    assert list(q1) == [reports["q1a"], reports["q1b"]]
    q2 = selectors.media_reports(product=own, level=MediaLevel.PROVINCIAL, start=Q2[0], end=Q2[1])
    assert list(q2) == [reports["q2"]]


def test_media_reports_of_a_year_and_of_every_level(own, reports):
    year = selectors.media_reports(
        product=own, start=dt.date(2021, 1, 1), end=dt.date(2021, 12, 31)
    )
    assert reports["old"] not in year
    assert reports["other"] not in year
    assert {r.level for r in year} == {"provincial", "national", "county"}
    national = selectors.media_reports(product=own, level="national")
    assert list(national) == [reports["national"]]
    # Open-ended periods: everything before or after a day.
    assert list(selectors.media_reports(product=own, end=dt.date(2020, 12, 31))) == [reports["old"]]


def test_media_reports_record_links_to_its_page(own, reports):
    assert reports["q2"].get_absolute_url() == f"/brand/reports/{reports['q2'].pk}/"


def test_promo_videos_of_the_product_only(own, other):
    mine = video(own)
    video(other)
    assert list(selectors.promo_videos(product=own)) == [mine]
    assert mine.get_absolute_url() == f"/brand/videos/{mine.pk}/"


def test_exhibitions_showing_the_product_within_the_period(own, other):
    expo = exhibition([own, other])
    spring = exhibition(
        [own],
        name="山西品牌农产品推介会",
        start_on=dt.date(2021, 4, 10),
        end_on=dt.date(2021, 4, 10),
    )
    elsewhere = exhibition(
        [other], name="只有别的产品", start_on=dt.date(2021, 5, 1), end_on=dt.date(2021, 5, 2)
    )
    assert list(selectors.exhibitions(product=own)) == [spring, expo]
    assert list(selectors.exhibitions(product=other)) == [elsewhere, expo]
    h2 = selectors.exhibitions(product=own, start=dt.date(2021, 7, 1), end=dt.date(2021, 12, 31))
    assert list(h2) == [expo]
    assert expo.get_absolute_url() == f"/brand/exhibitions/{expo.pk}/"


def test_an_event_over_new_year_belongs_to_the_year_it_began(own):
    event = exhibition(
        [own], name="年货节", start_on=dt.date(2021, 12, 30), end_on=dt.date(2022, 1, 3)
    )
    assert list(
        selectors.exhibitions(product=own, start=dt.date(2021, 1, 1), end=dt.date(2021, 12, 31))
    ) == [event]
    assert not selectors.exhibitions(
        product=own, start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31)
    ).exists()


def test_stories_published_only_by_default(own, province_admin):
    draft = story(own, title="草稿")
    published = story(own, title="已发布")
    story_set_status(actor=province_admin, story=published, status=StoryStatus.PUBLISHED)
    assert list(selectors.stories(product=own)) == [published]
    assert set(selectors.stories(product=own, published_only=False)) == {draft, published}
    assert draft.get_absolute_url() == f"/brand/stories/{draft.pk}/"


# --- Scoped lists ---------------------------------------------------------------------------


def test_a_county_user_sees_only_its_countys_products_records(
    own, other, county_admin, other_county_admin, city_admin, province_admin
):
    mine, theirs = report(own), report(other)
    assert list(selectors.report_list_for_user(user=county_admin)) == [mine]
    assert list(selectors.report_list_for_user(user=other_county_admin)) == [theirs]
    assert list(selectors.report_list_for_user(user=city_admin)) == [mine]
    assert set(selectors.report_list_for_user(user=province_admin)) == {mine, theirs}


def test_a_shared_event_is_seen_by_each_county_once(own, other, county_admin, other_county_admin):
    expo = exhibition([own, other])
    shared_product = ProductFactory.create(divisions=[own.divisions.get(), other.divisions.get()])
    two = exhibition([shared_product, own], name="两县共展")
    # Same first day: the newer record first, and no row twice through the many-to-many.
    assert list(selectors.exhibition_list_for_user(user=county_admin)) == [two, expo]
    assert list(selectors.exhibition_list_for_user(user=other_county_admin)) == [two, expo]
    assert list(selectors.exhibition_list_for_user(user=county_admin, product_id=other.pk)) == [
        expo
    ]


def test_the_certificate_holder_sees_its_products_stories(own, other, holder):
    mine = story(own)
    story(other)
    assert list(selectors.story_list_for_user(user=holder)) == [mine]


def test_list_filters(own, county_admin):
    a = report(own, title="葡萄节开幕", outlet="太原日报", published_on=dt.date(2021, 8, 1))
    b = report(own, level=MediaLevel.NATIONAL, title="国家级报道", published_on=dt.date(2022, 1, 5))
    rows = selectors.report_list_for_user
    assert list(rows(user=county_admin, q="太原")) == [a]
    assert list(rows(user=county_admin, level="national")) == [b]
    assert list(rows(user=county_admin, year=2021)) == [a]
    assert list(rows(user=county_admin, product_id=own.pk)) == [b, a]
