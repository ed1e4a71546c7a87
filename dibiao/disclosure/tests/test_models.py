from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dibiao.disclosure.choices import NoticePhase, NoticeStatus
from dibiao.disclosure.contacts import mask_contact, mask_name, validate_contact
from dibiao.disclosure.models import Notice, local_today
from dibiao.disclosure.tests.conftest import END, START

pytestmark = pytest.mark.django_db


def test_local_today_is_the_beijing_date(clock):
    # 2021-06-01 17:30 UTC is already 2 June in Beijing.
    clock.move_to(dt.date(2021, 6, 2), hour=1, minute=30)
    assert local_today() == dt.date(2021, 6, 2)


@pytest.mark.parametrize(
    ("today", "phase"),
    [
        (START - dt.timedelta(days=1), NoticePhase.UPCOMING),
        (START, NoticePhase.OPEN),
        (END, NoticePhase.OPEN),
        (END + dt.timedelta(days=1), NoticePhase.ARCHIVED),
    ],
)
def test_published_phase_follows_the_dates(today, phase):
    notice = Notice(status=NoticeStatus.PUBLISHED, start_date=START, end_date=END)
    assert notice.phase(today) == phase


def test_draft_and_withdrawn_phases_ignore_the_dates():
    assert Notice(status=NoticeStatus.DRAFT, start_date=START, end_date=END).phase(START) == (
        NoticePhase.DRAFT
    )
    assert Notice(status=NoticeStatus.WITHDRAWN, start_date=START, end_date=END).phase(START) == (
        NoticePhase.WITHDRAWN
    )


def test_queryset_phases_match_the_property(open_notice, clock):
    for day, expected in (
        (START - dt.timedelta(days=1), "upcoming"),
        (END, "open"),
        (END + dt.timedelta(days=1), "archived"),
    ):
        for phase in ("upcoming", "open", "archived"):
            matches = Notice.objects.in_phase(phase, day).filter(pk=open_notice.pk).exists()
            assert matches == (phase == expected), (day, phase)


def test_database_refuses_end_before_start(county_draft):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Notice.objects.filter(pk=county_draft.pk).update(start_date=END, end_date=START)


def test_database_refuses_published_notice_without_period(county_draft):
    with transaction.atomic(), pytest.raises(IntegrityError):
        Notice.objects.filter(pk=county_draft.pk).update(
            status=NoticeStatus.PUBLISHED, end_date=None
        )


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0351-1234567", "035*****4567"),
        ("zhang@example.com", "z****@example.com"),
        ("", ""),
    ],
)
def test_mask_contact(value, masked):
    assert mask_contact(value) == masked


def test_mask_name_keeps_the_surname():
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "李"


@pytest.mark.parametrize("value", ["23812345678", "1381234567", "351-1234567", "张三", "a@b"])
def test_invalid_contacts(value):
    with pytest.raises(ValidationError):
        validate_contact(value)
