from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.dispatch import services
from dibiao.dispatch.choices import NoticeStatus, ReportKind, ReportStatus
from dibiao.dispatch.models import CriticismNotice, DispatchReport, InspectionVisit
from dibiao.dispatch.tests.conftest import JULY, file_report
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.services import entry_record, entry_review
from dibiao.testing.factories import user_with_role
from dibiao.testing.responses import streamed, xlsx_rows

pytestmark = pytest.mark.django_db


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _edit_url(allocation, kind="monthly", start=JULY) -> str:
    return reverse("dispatch:report-edit", args=[allocation.pk, kind, start.isoformat()])


# --- the dispatch page ------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_producers_are_refused(clock, program, tree):
    response = client_as(None).get(reverse("dispatch:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    producer = user_with_role(Role.PRODUCER, tree["c1a"])
    assert client_as(producer).get(reverse("dispatch:home")).status_code == 403


def test_empty_state_without_an_implementing_program(tree, county_admin):
    response = client_as(county_admin).get(reverse("dispatch:home"))
    assert response.status_code == 200
    assert "目前没有实施中的保护工程" in _html(response)


def test_county_sees_its_own_periods_with_file_links_only(
    clock, allocation, other_allocation, county_admin
):
    clock.move_to(dt.date(2022, 8, 6))
    response = client_as(county_admin).get(reverse("dispatch:home"))

    html = _html(response)
    assert response.status_code == 200
    assert "我的报送" in html
    assert "清徐葡萄" in html
    assert "沁水刺槐蜂蜜" not in html
    assert _edit_url(allocation) in html
    assert "已逾期 1 天" in html  # July's report, due 5 August
    assert "逾期未报" not in html  # the supervisors' list


def test_county_government_sees_its_county_read_only(clock, allocation, tree):
    clock.move_to(dt.date(2022, 8, 6))
    county_gov = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    html = _html(client_as(county_gov).get(reverse("dispatch:home")))
    assert "报送情况" in html
    assert "清徐葡萄" in html
    assert _edit_url(allocation) not in html


def test_province_sees_the_overdue_list_matrix_and_export_buttons(
    clock, program, allocation, other_allocation, province_admin, county_admin
):
    clock.move_to(dt.date(2022, 7, 4))
    file_report(county_admin, allocation, start=dt.date(2022, 6, 1))
    clock.move_to(dt.date(2022, 8, 6))

    response = client_as(province_admin).get(reverse("dispatch:home"))

    html = _html(response)
    assert "逾期未报" in html
    overdue = response.context["overdue"]
    assert ("沁水刺槐蜂蜜", "2022-07") in [
        (r.allocation.product.name, r.period.key) for r in overdue
    ]
    assert ("清徐葡萄", "2022-06") not in [
        (r.allocation.product.name, r.period.key) for r in overdue
    ]
    assert [row.allocation.product.name for row in response.context["matrix"]] == [
        "沁水刺槐蜂蜜",
        "清徐葡萄",
    ]
    assert "✓" in html
    assert "✗" in html
    assert reverse("dispatch:table-export") in html
    assert 'value="2022-07" selected' in html


# --- the report form --------------------------------------------------------------------------


def test_report_form_prefills_funds_and_files_and_submits(
    clock, allocation, county_admin, colleague, training
):
    clock.move_to(dt.date(2022, 7, 20))
    entry = entry_record(
        actor=county_admin,
        allocation=allocation,
        contract=None,
        voucher_number="PZ-1",
        paid_on=dt.date(2022, 7, 15),
        payee="合作社",
        amount="123456.78",
        area=ImplementationArea.PRODUCTION,
    )
    entry_review(actor=colleague, entry=entry, approve=True)
    clock.move_to(dt.date(2022, 8, 3))
    client = client_as(county_admin)

    page = client.get(_edit_url(allocation))
    html = _html(page)
    assert page.status_code == 200
    assert "¥123,456.78" in html
    assert "资金台账" in html  # the figure's source
    assert "按标生产培训" in html

    response = client.post(
        _edit_url(allocation),
        {
            "summary": "完成基地建设",
            f"progress_{training.pk}": "培训 2 期",
            f"achieved_{training.pk}": "180",
            "action": "submit",
        },
    )
    report = DispatchReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dispatch:report-detail", args=[report.pk])
    assert report.status == ReportStatus.SUBMITTED
    assert report.funds_spent_to_date == Decimal("123456.78")
    assert report.lines.get().achieved == Decimal("180.00")

    # A submitted report is not edited: the form sends the county to the report.
    assert client.get(_edit_url(allocation)).status_code == 302


def test_report_form_shows_a_refusal(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 3))
    response = client_as(county_admin).post(
        _edit_url(allocation, "quarterly", dt.date(2022, 4, 1)), {"action": "submit"}
    )
    assert response.status_code == 200
    assert "工作进展（小结）后再报送" in _html(response)
    assert DispatchReport.objects.get().status == ReportStatus.DRAFT


def test_report_form_is_the_implementing_countys_alone(
    clock, allocation, other_county_admin, city_admin, county_admin
):
    clock.move_to(dt.date(2022, 8, 3))
    assert client_as(other_county_admin).get(_edit_url(allocation)).status_code == 404
    assert client_as(city_admin).get(_edit_url(allocation)).status_code == 403
    bad_period = _edit_url(allocation, start=dt.date(2022, 7, 2))
    assert client_as(county_admin).get(bad_period).status_code == 404
    assert client_as(county_admin).get(_edit_url(allocation, kind="weekly")).status_code == 404


# --- report detail, submit, return ------------------------------------------------------------


def test_report_detail_of_another_county_is_404(
    clock, allocation, other_allocation, county_admin, other_county_admin
):
    clock.move_to(dt.date(2022, 8, 3))
    theirs = file_report(other_county_admin, other_allocation)
    url = reverse("dispatch:report-detail", args=[theirs.pk])
    assert client_as(county_admin).get(url).status_code == 404
    for name, data in (("dispatch:report-submit", {}), ("dispatch:report-return", {"reason": "x"})):
        assert (
            client_as(county_admin).post(reverse(name, args=[theirs.pk]), data).status_code == 404
        )


def test_draft_is_submitted_from_its_page_and_city_returns_it(
    clock, allocation, county_admin, city_admin
):
    clock.move_to(dt.date(2022, 8, 6))
    report = file_report(county_admin, allocation, submit=False)
    detail = reverse("dispatch:report-detail", args=[report.pk])
    assert "报送</button>" in _html(client_as(county_admin).get(detail))

    client_as(county_admin).post(reverse("dispatch:report-submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_late

    page = client_as(city_admin).get(detail)
    assert "退回修改" in _html(page)
    assert "迟报" in _html(page)
    response = client_as(city_admin).post(
        reverse("dispatch:report-return", args=[report.pk]), {"reason": "请补充问题"}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert "请补充问题" in _html(client_as(county_admin).get(_edit_url(allocation)))


def test_report_list_page(clock, program, allocation, county_admin, province_admin):
    clock.move_to(dt.date(2022, 8, 3))
    file_report(county_admin, allocation)
    response = client_as(province_admin).get(
        reverse("dispatch:report-list"), {"program": program.pk, "status": "submitted"}
    )
    assert [r.period_label for r in response.context["object_list"]] == ["2022年7月"]
    empty = client_as(province_admin).get(reverse("dispatch:report-list"), {"status": "returned"})
    assert "没有符合条件的报告" in _html(empty)


# --- exports ----------------------------------------------------------------------------------


def _east_asian_font(run) -> str | None:
    """The Chinese font of a run: `w:eastAsia` of its rFonts (python-docx's font.name is the
    Latin one)."""
    return run._element.xpath("string(./w:rPr/w:rFonts/@w:eastAsia)") or None


def _export(user, program, fmt, month="2022-07"):
    return client_as(user).get(
        reverse("dispatch:table-export"), {"program": program.pk, "month": month, "format": fmt}
    )


def test_excel_export_has_one_row_per_allocation(
    clock, program, allocation, other_allocation, county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 8))
    file_report(county_admin, allocation, summary='=HYPERLINK("x")')  # late, formula-like

    response = _export(province_admin, program, "xlsx")

    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert rows[0] == (
        "序号",
        "产品",
        "实施地区",
        "报送情况",
        "报送时间",
        "工作进展",
        "存在问题",
        "下步打算",
        "补助资金（元）",
        "累计支出（元）",
        "执行率（%）",
    )
    assert [r[1] for r in rows[1:3]] == ["沁水刺槐蜂蜜", "清徐葡萄"]
    assert rows[1][3] == "未报"
    assert rows[2][3] == "迟报"
    assert rows[2][5].startswith("'=HYPERLINK")  # neutralised by the shared Excel writer
    assert "按标生产培训：举办培训 2 期（累计180人次）" in rows[2][5]
    assert rows[3][0] == "合计"
    assert rows[3][8] == 5700000
    audit = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert "Excel" in audit.detail


def test_word_export_is_an_official_table(
    clock, program, allocation, other_allocation, county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 4))
    file_report(county_admin, allocation)

    response = _export(province_admin, program, "docx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    document = Document(io.BytesIO(streamed(response)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width is not None
    assert section.page_height is not None
    assert round(section.page_width.cm, 1) == 29.7  # A4 landscape
    assert round(section.page_height.cm, 1) == 21.0
    title = document.paragraphs[0]
    assert title.text == "2022年地理标志农产品保护工程2022年7月进展调度表"
    assert _east_asian_font(title.runs[0]) == "黑体"
    assert "制表日期：2022年8月4日" in document.paragraphs[1].text
    assert _east_asian_font(document.paragraphs[1].runs[0]) == "仿宋"
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells][:4] == ["序号", "产品", "实施地区", "报送情况"]
    header_props = table.rows[0]._tr.trPr
    assert header_props is not None
    assert header_props.find(qn("w:tblHeader")) is not None  # repeats on each page
    assert [c.text for c in table.rows[2].cells][1:4] == ["清徐葡萄", "市141县140121", "按时报送"]
    assert "完成标准化基地建设 200 亩。" in table.rows[2].cells[4].text
    assert table.rows[-1].cells[0].text == "合计"
    assert table.rows[-1].cells[7].text == "570.00"  # 万元
    assert AuditLog.objects.filter(action=AuditAction.EXPORT, detail__contains="Word").exists()


def test_export_is_for_supervisors_and_needs_a_month_of_the_year(
    clock, program, allocation, county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 4))
    assert _export(county_admin, program, "xlsx").status_code == 403
    response = _export(province_admin, program, "xlsx", month="2021-07")
    assert response.status_code == 302
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()


# --- supervision pages ------------------------------------------------------------------------


def test_supervision_page_empty_state_and_create_forms(clock, program, allocation, city_admin):
    clock.move_to(dt.date(2022, 6, 10))
    client = client_as(city_admin)
    html = _html(client.get(reverse("dispatch:supervision")))
    assert "本工程还没有通报" in html
    assert "本工程还没有督导检查记录" in html

    response = client.post(
        f"{reverse('dispatch:inspection-create')}?program={program.pk}",
        {
            "division": allocation.division_id,
            "visited_on": "2022-06-09",
            "inspectors": "王某",
            "findings": "台账不全",
        },
    )
    visit = InspectionVisit.objects.get()
    assert response["Location"] == reverse("dispatch:inspection-detail", args=[visit.pk])
    other_county = user_with_role(
        Role.COUNTY_ADMIN,
        allocation.division.parent.children.exclude(pk=allocation.division_id).get(),
    )
    assert client_as(other_county).get(response["Location"]).status_code == 404

    response = client.post(
        f"{reverse('dispatch:notice-create')}?program={program.pk}",
        {
            "division": allocation.division_id,
            "inspection": visit.pk,
            "title": "关于管理不规范的通报",
            "issues": "台账不全",
            "issued_on": "2022-06-10",
            "rectify_by": "2022-06-09",
        },
    )
    assert response.status_code == 200
    assert "整改期限不能早于通报日期" in _html(response)
    assert not CriticismNotice.objects.exists()


def test_notice_pages_follow_the_rectification(
    clock, program, tree, allocation, city_admin, county_admin, other_county_admin
):
    clock.move_to(dt.date(2022, 6, 10))
    notice = services.notice_issue(
        actor=city_admin,
        program=program,
        division=tree["c1a"],
        title="关于管理不规范的通报",
        issues="台账不全",
        issued_on=dt.date(2022, 6, 10),
        rectify_by=dt.date(2022, 7, 10),
    )
    detail = reverse("dispatch:notice-detail", args=[notice.pk])
    assert client_as(other_county_admin).get(detail).status_code == 404
    rectify = reverse("dispatch:notice-action", args=[notice.pk, "rectify"])
    assert client_as(other_county_admin).post(rectify, {"report": "x"}).status_code == 404

    clock.move_to(dt.date(2022, 7, 11))
    home = _html(client_as(county_admin).get(reverse("dispatch:supervision")))
    assert "逾期未整改 1" in home
    page = _html(client_as(county_admin).get(detail))
    assert "报送整改情况" in page
    assert "（已逾期）" in page

    action = lambda name: reverse("dispatch:notice-action", args=[notice.pk, name])  # noqa: E731
    client_as(county_admin).post(action("rectify"), {"report": "已补齐台账"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RECTIFIED
    assert "验收通过，销号" in _html(client_as(city_admin).get(detail))
    assert "验收通过，销号" not in _html(client_as(county_admin).get(detail))

    client_as(city_admin).post(action("close"), {"note": "到位"})
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    refused = client_as(city_admin).post(action("close"), {"note": ""}, follow=True)
    assert "不能验收销号" in _html(refused)
    assert client_as(city_admin).post(action("delete"), {}).status_code == 404


def test_only_supervisors_open_the_create_forms(clock, program, allocation, county_admin):
    url = f"{reverse('dispatch:notice-create')}?program={program.pk}"
    assert client_as(county_admin).get(url).status_code == 403


def test_report_kinds_are_all_fileable_from_the_page(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 3))
    for kind, start in (
        (ReportKind.QUARTERLY, dt.date(2022, 4, 1)),
        (ReportKind.ANNUAL, dt.date(2022, 1, 1)),
    ):
        response = client_as(county_admin).post(
            _edit_url(allocation, kind, start), {"summary": "小结", "action": "save"}
        )
        assert response.status_code == 302
    assert DispatchReport.objects.filter(status=ReportStatus.DRAFT).count() == 2
