"""Fixtures of the disclosure tests: a frozen clock and notices in each state.

The clock stands at 2021-06-01 10:00 Beijing time unless a test moves it; dates are derived
from it, so every phase (upcoming, open, archived) is reached by moving the clock, never by
writing a date in the past into a published notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from dibiao.disclosure import services
from dibiao.disclosure.choices import NoticeKind
from dibiao.disclosure.models import DISCLOSURE_TIMEZONE

START = dt.date(2021, 6, 1)
END = dt.date(2021, 6, 7)


def beijing(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=DISCLOSURE_TIMEZONE)


class Clock:
    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller

    def move_to(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        self._traveller.move_to(beijing(day, hour, minute), tick=False)

    def shift(self, delta: dt.timedelta) -> None:
        self._traveller.shift(delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(beijing(START), tick=False) as traveller:
        yield Clock(traveller)


def notice_data(**overrides: object) -> dict[str, object]:
    return {
        "kind": NoticeKind.SELECTION_RESULT,
        "title": "2021年地理标志农产品保护工程实施对象遴选结果公示",
        "body": "拟确定清徐葡萄等产品为实施对象。",
        "start_date": START,
        "end_date": END,
        **overrides,
    }


@pytest.fixture
def province_draft(clock, tree, province_admin):
    return services.notice_save(actor=province_admin, data=notice_data(), division=tree["p"])


@pytest.fixture
def county_draft(clock, tree, county_admin):
    return services.notice_save(
        actor=county_admin,
        data=notice_data(kind=NoticeKind.FUND_ARRANGEMENT, title="县资金安排公示"),
        division=tree["c1a"],
    )


@pytest.fixture
def open_notice(county_draft, county_admin):
    """The county's notice, published and open (today is its first day)."""
    return services.notice_publish(actor=county_admin, notice=county_draft)


@pytest.fixture
def foreign_notice(clock, tree, other_county_admin):
    """Another city's county's published notice."""
    draft = services.notice_save(
        actor=other_county_admin,
        data=notice_data(title="他县公示"),
        division=tree["c2a"],
    )
    return services.notice_publish(actor=other_county_admin, notice=draft)


def submit(notice, *, ip: str = "203.0.113.5", **overrides: str):
    values = {
        "name": "张三",
        "contact": "13812345678",
        "text": "遴选结果中的产品基地面积与实际不符，请核实。",
        **overrides,
    }
    return services.objection_submit(notice=notice, client_ip=ip, **values)
