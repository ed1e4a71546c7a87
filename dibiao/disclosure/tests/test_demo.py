from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import OrganizationKind
from dibiao.core.models import AuditLog
from dibiao.disclosure.choices import NoticeKind, NoticePhase, NoticeStatus
from dibiao.disclosure.demo import DEMO_TITLE, SELECTED_PRODUCTS, disclosure_demo_load
from dibiao.disclosure.models import Notice
from dibiao.disclosure.tests.conftest import START
from dibiao.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanxi_dept(tree):
    return OrganizationFactory.create(
        name="山西省农业农村厅", kind=OrganizationKind.PROVINCIAL_DEPT, division=tree["p"]
    )


def test_demo_publishes_the_open_selection_notice(clock, shanxi_dept):
    notice = disclosure_demo_load()

    assert notice is not None
    assert notice.title == DEMO_TITLE
    assert notice.kind == NoticeKind.SELECTION_RESULT
    assert notice.status == NoticeStatus.PUBLISHED
    assert notice.publisher == shanxi_dept
    assert (notice.start_date, notice.end_date) == (START, START + dt.timedelta(days=7))
    assert notice.phase() == NoticePhase.OPEN
    for name in SELECTED_PRODUCTS:
        assert name in notice.body
    assert "3540 万元" in notice.body
    assert "斗山杏仁（拟补助 270 万元）" in notice.body
    assert "演示公示" in notice.body
    assert "2021年6月1日至2021年6月8日" in notice.body
    assert AuditLog.objects.filter(object_type="disclosure.notice").count() == 2


def test_demo_is_idempotent(clock, shanxi_dept):
    first = disclosure_demo_load()
    clock.move_to(START + dt.timedelta(days=30))
    assert disclosure_demo_load() == first
    assert Notice.objects.count() == 1


def test_demo_is_skipped_without_the_department(clock, tree):
    assert disclosure_demo_load() is None
    assert not Notice.objects.exists()
