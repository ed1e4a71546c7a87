"""Services of media reports, videos and events: who may write, for which products, the
validation messages and the audit rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dibiao.brand.errors import BrandError
from dibiao.brand.models import Exhibition, MediaReport
from dibiao.brand.services.exhibitions import exhibition_update
from dibiao.brand.services.reports import report_update
from dibiao.brand.services.videos import video_update
from dibiao.brand.tests.support import exhibition, report, video
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.registry.choices import ProductStatus
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _audit(obj, action):
    return AuditLog.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action
    )


# --- Media reports ------------------------------------------------------------------------------


def test_a_county_admin_records_a_report_and_it_is_audited(own, county_admin):
    row = report(own, county_admin)
    assert (row.product, row.recorded_by, row.level) == (own, county_admin, "provincial")
    entry = _audit(row, AuditAction.CREATE).get()
    assert entry.user == county_admin
    assert entry.changes["after"]["title"] == row.title


@pytest.mark.parametrize("role_user", ["city_admin", "province_admin"])
def test_city_and_province_record_reports_for_products_below_them(role_user, request, own):
    assert report(own, request.getfixturevalue(role_user)).pk


@pytest.mark.parametrize("role_user", ["holder", "lab_user", "auditor"])
def test_other_roles_cannot_record_reports(role_user, request, own):
    with pytest.raises(ForbiddenError):
        report(own, request.getfixturevalue(role_user))
    assert not MediaReport.objects.exists()


def test_a_county_cannot_record_for_another_countys_product(other, county_admin):
    with pytest.raises(BrandError) as excinfo:
        report(other, county_admin)
    assert excinfo.value.code == "product_out_of_scope"
    assert "隰县玉露香梨" in excinfo.value.message


def test_a_cancelled_product_takes_no_new_report_but_its_old_ones_can_be_corrected(
    own, county_admin
):
    old = report(own, county_admin)
    own.status = ProductStatus.CANCELLED
    own.save()
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin, title="另一篇")
    assert excinfo.value.code == "product_out_of_scope"
    fixed = report_update(actor=county_admin, report=old, data={"title": "更正后的标题"})
    assert fixed.title == "更正后的标题"


def test_report_validation_messages(own, county_admin):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin, published_on=tomorrow)
    assert (excinfo.value.code, excinfo.value.message) == (
        "published_on_in_future",
        "发布日期不能晚于今天。",
    )
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin, published_on=dt.date(1921, 3, 1))
    assert excinfo.value.code == "published_on_too_early"
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin, link="javascript:alert(1)")
    assert excinfo.value.code == "invalid_report"
    assert excinfo.value.message.startswith("链接：")
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin, level="world")
    assert excinfo.value.code == "invalid_report"
    assert "级别" in excinfo.value.message


def test_the_same_report_twice_is_refused(own, county_admin):
    report(own, county_admin)
    with pytest.raises(BrandError) as excinfo:
        report(own, county_admin)
    assert excinfo.value.code == "invalid_report"
    assert "已登记过同一媒体同一天的同题报道" in excinfo.value.message


def test_an_update_audits_only_what_changed(own, county_admin):
    row = report(own, county_admin)
    report_update(actor=county_admin, report=row, data={"outlet": "山西日报"})  # unchanged
    assert not _audit(row, AuditAction.UPDATE).exists()
    report_update(actor=county_admin, report=row, data={"outlet": "山西晚报"})
    entry = _audit(row, AuditAction.UPDATE).get()
    assert entry.changes["before"]["outlet"] == "山西日报"
    assert entry.changes["after"]["outlet"] == "山西晚报"


def test_another_county_cannot_update_a_report(own, county_admin, other_county_admin):
    row = report(own, county_admin)
    with pytest.raises(NotFoundError):
        report_update(actor=other_county_admin, report=row, data={"title": "改"})


# --- Videos -------------------------------------------------------------------------------------


def test_a_video_keeps_its_links_one_a_line_and_its_length(own, county_admin):
    row = video(own, county_admin, links=" https://a.example.cn/1 \n\nhttp://b.example.cn/2\n")
    assert row.link_list == ["https://a.example.cn/1", "http://b.example.cn/2"]
    assert row.duration_text == "5分30秒"
    assert _audit(row, AuditAction.CREATE).exists()


def test_video_validation_messages(own, county_admin):
    with pytest.raises(BrandError) as excinfo:
        video(own, county_admin, links="https://ok.example.cn\nftp://files.example.cn/v.mp4")
    assert excinfo.value.code == "invalid_link"
    assert "ftp://files.example.cn/v.mp4" in excinfo.value.message
    with pytest.raises(BrandError) as excinfo:
        video(own, county_admin, duration_seconds=0)
    assert excinfo.value.code == "invalid_video"
    assert excinfo.value.message.startswith("时长（秒）：")


def test_a_video_update_is_audited(own, county_admin):
    row = video(own, county_admin)
    video_update(actor=county_admin, video=row, data={"duration_seconds": 3725})
    row.refresh_from_db()
    assert row.duration_text == "1小时2分5秒"
    assert _audit(row, AuditAction.UPDATE).get().changes == {
        "before": {"duration_seconds": 330},
        "after": {"duration_seconds": 3725},
    }


# --- Exhibitions --------------------------------------------------------------------------------


def test_an_event_with_products_of_the_actors_scope(own, county_admin):
    event = exhibition([own], county_admin)
    assert list(event.products.all()) == [own]
    assert event.deals_amount == Decimal("1250.50")
    assert _audit(event, AuditAction.CREATE).get().changes["after"]["products"] == [own.pk]


def test_event_validation_messages(own, other, county_admin):
    with pytest.raises(BrandError) as excinfo:
        exhibition([], county_admin)
    assert (excinfo.value.code, excinfo.value.message) == (
        "products_required",
        "请至少选择一个参展产品。",
    )
    with pytest.raises(BrandError) as excinfo:
        exhibition([own, other], county_admin)
    assert excinfo.value.code == "product_out_of_scope"
    with pytest.raises(BrandError) as excinfo:
        exhibition([own], county_admin, end_on=dt.date(2021, 9, 1))
    assert excinfo.value.code == "invalid_exhibition"
    assert "结束日期不能早于开始日期。" in excinfo.value.message
    with pytest.raises(BrandError) as excinfo:
        exhibition([own], county_admin, deals_amount="-1")
    assert excinfo.value.code == "invalid_exhibition"
    with pytest.raises(BrandError) as excinfo:
        exhibition([own], county_admin, start_on=timezone.localdate() + dt.timedelta(days=3))
    assert excinfo.value.code == "start_on_in_future"
    assert not Exhibition.objects.exists()


def test_a_county_editing_a_shared_event_keeps_the_other_countys_products(
    own, other, county_admin, tree
):
    event = exhibition([own, other])  # the province's record of a joint stand
    another_own = ProductFactory.create(name="清徐老陈醋", divisions=[tree["c1a"]])
    exhibition_update(
        actor=county_admin,
        exhibition=event,
        data={"deals_count": 5},
        products=[another_own],
    )
    event.refresh_from_db()
    assert set(event.products.all()) == {another_own, other}
    assert event.deals_count == 5
    change = _audit(event, AuditAction.UPDATE).get().changes
    assert change["before"]["products"] == sorted([own.pk, other.pk])
    assert change["after"]["products"] == sorted([another_own.pk, other.pk])


def test_an_event_update_without_products_leaves_them(own, county_admin):
    event = exhibition([own], county_admin)
    exhibition_update(actor=county_admin, exhibition=event, data={"place": "北京"})
    assert list(event.products.all()) == [own]
    assert _audit(event, AuditAction.UPDATE).get().changes["after"]["place"] == "北京"


def test_an_event_outside_the_scope_is_not_found(other, county_admin):
    event = exhibition([other])
    with pytest.raises(NotFoundError):
        exhibition_update(actor=county_admin, exhibition=event, data={"place": "北京"})
