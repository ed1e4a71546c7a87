"""Pages: who sees them, scope (another county's record is a 404), forms, empty states, the
Excel exports, and the media report import (template, report, round trip)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from dibiao.brand.choices import StoryStatus
from dibiao.brand.models import Exhibition, MediaReport, PromoVideo
from dibiao.brand.services.stories import story_set_status
from dibiao.brand.tests.support import client_as, exhibition, report, story, video
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.testing.responses import streamed, xlsx_rows

pytestmark = pytest.mark.django_db

LISTS = ["brand:report-list", "brand:video-list", "brand:exhibition-list", "brand:story-list"]


@pytest.fixture
def records(own, other):
    return {
        "report": (report(own), report(other)),
        "video": (video(own), video(other)),
        "exhibition": (exhibition([own]), exhibition([other], name="别县的展会")),
        "story": (story(own), story(other)),
    }


@pytest.mark.parametrize("name", LISTS)
def test_lists_show_an_empty_state(name, county_admin):
    page = client_as(county_admin).get(reverse(name))
    assert page.status_code == 200
    assert 'class="empty"' in page.content.decode()


@pytest.mark.parametrize("kind", ["report", "video", "exhibition", "story"])
def test_a_county_sees_its_record_and_gets_404_for_another_countys(kind, records, county_admin):
    mine, theirs = records[kind]
    client = client_as(county_admin)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    listing = client.get(reverse(f"brand:{kind}-list")).content.decode()
    assert mine.get_absolute_url() in listing
    assert theirs.get_absolute_url() not in listing


@pytest.mark.parametrize("name", LISTS[:3])
def test_producers_and_labs_do_not_see_the_bureaus_lists(name, holder, lab_user):
    assert client_as(holder).get(reverse(name)).status_code == 403
    assert client_as(lab_user).get(reverse(name)).status_code == 403
    assert client_as().get(reverse(name)).status_code == 302  # to the login page


def test_the_holder_sees_and_drafts_its_products_stories(own, holder):
    client = client_as(holder)
    assert client.get(reverse("brand:story-list")).status_code == 200
    response = client.post(
        reverse("brand:story-create"),
        {"product": own.pk, "title": "葡萄的来历", "body": "相传汉代传入。\n\n明清时已成规模。"},
    )
    assert response.status_code == 302
    created = own.brand_stories.get()
    assert created.body == "<p>相传汉代传入。</p><p>明清时已成规模。</p>"
    detail = client.get(created.get_absolute_url()).content.decode()
    assert "发布到产品公开页面" not in detail  # a producer does not publish


def test_the_bureau_publishes_from_the_story_page(own, county_admin):
    row = story(own, county_admin)
    client = client_as(county_admin)
    assert "发布到产品公开页面" in client.get(row.get_absolute_url()).content.decode()
    response = client.post(reverse("brand:story-status", args=[row.pk]), {"status": "published"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.is_published


def test_a_published_story_cannot_be_opened_for_editing_by_the_producer(own, holder, county_admin):
    row = story(own, holder)
    story_set_status(actor=county_admin, story=row, status=StoryStatus.PUBLISHED)
    assert client_as(holder).get(reverse("brand:story-edit", args=[row.pk])).status_code == 403


def test_recording_a_report_on_the_page(own, county_admin):
    client = client_as(county_admin)
    form = client.get(reverse("brand:report-create")).content.decode()
    assert "清徐葡萄" in form
    response = client.post(
        reverse("brand:report-create"),
        {
            "product": own.pk,
            "outlet": "山西日报",
            "level": "provincial",
            "published_on": "2021-03-15",
            "title": "清徐葡萄走俏",
            "link": "https://www.example.cn/a.html",
        },
    )
    created = MediaReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()


def test_the_form_shows_the_services_message(own, county_admin):
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = client_as(county_admin).post(
        reverse("brand:report-create"),
        {
            "product": own.pk,
            "outlet": "山西日报",
            "level": "provincial",
            "published_on": future,
            "title": "未来的报道",
        },
    )
    assert response.status_code == 200
    assert "发布日期不能晚于今天。" in response.content.decode()
    assert not MediaReport.objects.exists()


def test_a_form_refuses_another_countys_product(own, other, county_admin):
    response = client_as(county_admin).post(
        reverse("brand:video-create"),
        {
            "product": other.pk,
            "title": "片",
            "minutes": 3,
            "seconds": 0,
            "published_on": "2021-05-01",
            "platforms": "抖音",
        },
    )
    assert response.status_code == 200
    assert "请选择您可以登记的产品。" in response.content.decode()
    assert not PromoVideo.objects.exists()


def test_recording_an_event_and_editing_it(own, county_admin, tree):
    client = client_as(county_admin)
    response = client.post(
        reverse("brand:exhibition-create"),
        {
            "kind": "expo",
            "name": "山西特色农产品推介会",
            "level": "provincial",
            "start_on": "2021-06-18",
            "end_on": "2021-06-19",
            "place": "太原市",
            "division": tree["c1"].pk,
            "products": [own.pk],
            "deals_count": 2,
            "deals_amount": "80.5",
        },
    )
    assert response.status_code == 302
    event = Exhibition.objects.get()
    assert event.division == tree["c1"]
    page = client.get(reverse("brand:exhibition-edit", args=[event.pk])).content.decode()
    assert "山西特色农产品推介会" in page


def test_recording_a_video_with_minutes_and_seconds(own, county_admin):
    client_as(county_admin).post(
        reverse("brand:video-create"),
        {
            "product": own.pk,
            "title": "千年葡乡",
            "minutes": 8,
            "seconds": 5,
            "published_on": "2021-05-01",
            "platforms": "学习强国",
            "links": "https://www.example.cn/v",
        },
    )
    assert PromoVideo.objects.get().duration_seconds == 485


def test_a_writer_without_products_sees_an_empty_form(county_admin):
    page = client_as(county_admin).get(reverse("brand:report-create")).content.decode()
    assert "没有可以登记的产品" in page


def test_a_county_government_reads_but_does_not_record(own, tree):
    from dibiao.accounts.choices import Role
    from dibiao.testing.factories import user_with_role

    reader = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    client = client_as(reader)
    assert client.get(reverse("brand:report-list")).status_code == 200
    assert client.get(reverse("brand:report-create")).status_code == 403


def test_the_menu_has_a_brand_group_for_the_bureaus_and_stories_for_producers(county_admin, holder):
    page = client_as(county_admin).get(reverse("brand:report-list")).content.decode()
    assert "<summary>品牌建设</summary>" in page
    holder_page = client_as(holder).get(reverse("brand:story-list")).content.decode()
    assert reverse("brand:story-list") in holder_page
    assert reverse("brand:report-list") not in holder_page


# --- Excel export -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("brand:report-export", "媒体名称"),
        ("brand:video-export", "时长（秒）"),
        ("brand:exhibition-export", "参展产品"),
        ("brand:story-export", "状态"),
    ],
)
def test_each_list_exports_the_users_rows_and_the_export_is_audited(
    name, header, records, county_admin
):
    response = client_as(county_admin).get(reverse(name))
    rows = xlsx_rows(response)
    assert header in rows[0]
    assert len(rows) == 2  # the header and the county's one record
    assert "隰县玉露香梨" not in str(rows)
    assert AuditLog.objects.filter(action=AuditAction.EXPORT, user=county_admin).exists()


def test_the_export_follows_the_filters(own, county_admin):
    report(own, title="国家级", level="national", outlet="人民日报")
    report(own, title="省级")
    rows = xlsx_rows(
        client_as(county_admin).get(reverse("brand:report-export") + "?level=national")
    )
    assert [r[4] for r in rows[1:]] == ["国家级"]


# --- Excel import -------------------------------------------------------------------------------


def _xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("媒体报道.xlsx", buffer.getvalue())


def test_the_import_template_has_the_columns(county_admin):
    response = client_as(county_admin).get(reverse("brand:report-import-template"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = next(sheet.iter_rows(values_only=True))
    assert header[:5] == ("产品*", "媒体名称*", "级别*", "发布日期*", "标题*")


def test_export_then_import_gives_the_same_reports(own, county_admin):
    national = report(
        own,
        level="national",
        outlet="人民日报",
        title="葡萄熟了",
        published_on=dt.date(2021, 9, 1),
        notes="第 7 版",
    )
    provincial = report(own, title="清徐葡萄采摘节", link="")
    expected = sorted(
        (r.product_id, r.outlet, r.level, r.published_on, r.title, r.link, r.notes)
        for r in (national, provincial)
    )
    exported = streamed(client_as(county_admin).get(reverse("brand:report-export")))
    MediaReport.objects.all().delete()

    response = client_as(county_admin).post(
        reverse("brand:report-import"),
        {"file": SimpleUploadedFile("导出.xlsx", exported)},
    )
    assert response.status_code == 200
    assert "已导入 2 行" in response.content.decode()
    imported = sorted(
        (r.product_id, r.outlet, r.level, r.published_on, r.title, r.link, r.notes)
        for r in MediaReport.objects.all()
    )
    assert imported == expected
    assert set(MediaReport.objects.values_list("recorded_by", flat=True)) == {county_admin.pk}
    entry = AuditLog.objects.get(action=AuditAction.IMPORT)
    assert entry.changes == {"total": 2, "imported": 2, "invalid": 0}


def test_importing_the_same_file_again_reports_every_row_as_recorded(own, county_admin):
    report(own)
    exported = streamed(client_as(county_admin).get(reverse("brand:report-export")))
    response = client_as(county_admin).post(
        reverse("brand:report-import"), {"file": SimpleUploadedFile("a.xlsx", exported)}
    )
    assert "该报道已登记" in response.content.decode()
    assert MediaReport.objects.count() == 1


def test_the_import_reports_each_bad_row_and_imports_nothing(own, other, county_admin):
    upload = _xlsx(
        [
            ["产品", "媒体名称", "级别", "发布日期", "标题", "链接"],
            ["清徐葡萄", "山西日报", "省级", dt.datetime(2021, 3, 5), "好标题", ""],
            ["隰县玉露香梨", "山西日报", "省级", "2021-03-05", "别县产品", ""],
            ["清徐葡萄", "山西日报", "世界级", "2021/3/5", "错级别", ""],
            ["清徐葡萄", "山西日报", "省级", "3月5日", "错日期", ""],
            ["清徐葡萄", "山西日报", "省级", "2021年3月6日", "错链接", "ftp://x"],
            ["清徐葡萄", "山西日报", "省级", "2021-03-05", "好标题", ""],
        ]
    )
    response = client_as(county_admin).post(reverse("brand:report-import"), {"file": upload})
    text = response.content.decode()
    assert "未找到产品“隰县玉露香梨”" in text
    assert "级别应为：国家级、省级、市级、县级。" in text
    assert "日期格式应为 2021-03-15。" in text
    assert "与第 2 行重复。" in text
    assert "未导入任何数据" in text
    assert not MediaReport.objects.exists()


def test_the_import_can_take_the_valid_rows_only(own, county_admin):
    upload = _xlsx(
        [
            ["产品", "媒体名称", "级别", "发布日期", "标题"],
            ["清徐葡萄", "黄河新闻网", "省级", "2021-02-01", "一"],
            ["清徐葡萄", "黄河新闻网", "省", "2021-02-02", "二"],
        ]
    )
    client_as(county_admin).post(
        reverse("brand:report-import"), {"file": upload, "only_valid": "on"}
    )
    assert list(MediaReport.objects.values_list("title", flat=True)) == ["一"]


def test_a_file_that_is_not_a_workbook_is_refused(county_admin):
    response = client_as(county_admin).post(
        reverse("brand:report-import"),
        {"file": SimpleUploadedFile("a.xlsx", b"%PDF-1.4 not a workbook")},
    )
    assert "不支持的文件类型" in response.content.decode()


def test_only_writers_import(holder):
    assert client_as(holder).get(reverse("brand:report-import")).status_code == 403
