from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from rest_framework.test import APIClient

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.dispatch.choices import NoticeStatus, ReportStatus
from dibiao.dispatch.models import CriticismNotice, DispatchReport
from dibiao.dispatch.tests.conftest import file_report
from dibiao.testing.factories import division_tree
from dibiao.testing.responses import streamed, xlsx_rows

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/dispatch-reports/"


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _new_report(allocation, **extra):
    return {
        "allocation": allocation.pk,
        "kind": "monthly",
        "period_start": "2022-07-01",
        "summary": "完成基地建设。",
        "lines": [{"target": "training", "progress": "培训 2 期", "achieved": "180"}],
        **extra,
    }


# --- reports ----------------------------------------------------------------------------------


def test_county_files_edits_and_submits_a_report(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    client = api_as(county_admin)

    created = client.post(REPORTS, _new_report(allocation), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == ReportStatus.DRAFT
    assert body["due_date"] == "2022-08-05"
    assert body["period_label"] == "2022年7月"
    assert body["lines"] == [
        {
            "target": "training",
            "target_name": "按标生产培训",
            "unit": "人次",
            "progress": "培训 2 期",
            "achieved": "180.00",
        }
    ]
    assert body["funds_spent_to_date"] == "0.00"

    url = f"{REPORTS}{body['id']}/"
    patched = client.patch(url, {"problems": "雨季影响施工"}, format="json")
    assert patched.status_code == 200
    assert patched.json()["problems"] == "雨季影响施工"
    assert len(patched.json()["lines"]) == 1

    submitted = client.post(f"{url}submit/", headers={"Idempotency-Key": "submit-1"})
    assert submitted.status_code == 200
    assert submitted.json()["status"] == ReportStatus.SUBMITTED
    assert submitted.json()["submitted_late"] is False
    replay = client.post(f"{url}submit/", headers={"Idempotency-Key": "submit-1"})
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"

    again = client.patch(url, {"problems": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "report_submitted")


def test_a_period_has_one_report(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    client = api_as(county_admin)
    assert client.post(REPORTS, _new_report(allocation), format="json").status_code == 201
    second = client.post(REPORTS, _new_report(allocation), format="json")
    assert (second.status_code, second.json()["code"]) == (409, "report_exists")


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"period_start": "2022-07-02"}, 400, "invalid_period"),
        ({"period_start": "2022-09-01"}, 400, "period_not_started"),
        ({"kind": "weekly"}, 400, "invalid"),
        ({"lines": [{"target": "no_such_task", "progress": "x"}]}, 400, "invalid_target"),
        ({"lines": [{"target": "training", "achieved": "-1"}]}, 400, "invalid_achieved"),
    ],
)
def test_refused_reports_say_why(clock, allocation, county_admin, extra, status, code):
    clock.move_to(dt.date(2022, 8, 2))
    response = api_as(county_admin).post(REPORTS, _new_report(allocation, **extra), format="json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not DispatchReport.objects.exists()


def test_county_user_cannot_see_or_act_on_another_countys_report(
    clock, allocation, other_allocation, county_admin, other_county_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    theirs = file_report(other_county_admin, other_allocation, submit=False)
    client = api_as(county_admin)
    url = f"{REPORTS}{theirs.pk}/"

    assert client.get(url).status_code == 404
    assert client.patch(url, {"summary": "x"}, format="json").status_code == 404
    assert client.post(f"{url}submit/").status_code == 404
    assert client.post(f"{url}return/", {"reason": "x"}, format="json").status_code == 404
    assert client.get(REPORTS).json()["count"] == 0
    # Naming another county's allocation in a body reads like a missing id.
    response = client.post(REPORTS, _new_report(other_allocation), format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert DispatchReport.objects.get().summary == "完成标准化基地建设 200 亩。"


def test_city_returns_a_report_and_the_county_cannot(clock, allocation, county_admin, city_admin):
    clock.move_to(dt.date(2022, 8, 2))
    report = file_report(county_admin, allocation)
    url = f"{REPORTS}{report.pk}/return/"

    refused = api_as(county_admin).post(url, {"reason": "x"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    blank = api_as(city_admin).post(url, {}, format="json")
    assert (blank.status_code, blank.json()["code"]) == (400, "invalid")
    returned = api_as(city_admin).post(url, {"reason": "数据有误"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["status"] == ReportStatus.RETURNED
    assert returned.json()["return_reason"] == "数据有误"


def test_report_list_filters(clock, program, allocation, county_admin, province_admin):
    clock.move_to(dt.date(2022, 8, 2))
    file_report(county_admin, allocation)
    file_report(county_admin, allocation, start=dt.date(2022, 6, 1), submit=False)
    client = api_as(province_admin)
    assert client.get(REPORTS, {"program": program.pk}).json()["count"] == 2
    assert client.get(REPORTS, {"status": "draft"}).json()["count"] == 1
    only_july = client.get(REPORTS, {"period_start": "2022-07-01"}).json()
    assert [r["period_label"] for r in only_july["results"]] == ["2022年7月"]


def test_overdue_list_from_the_api_the_day_after_the_due_date(
    clock, program, allocation, province_admin, county_admin
):
    url = f"{REPORTS}overdue/"
    clock.move_to(dt.date(2022, 8, 5))
    keys = [
        (r["kind"], r["period_start"])
        for r in api_as(province_admin).get(url, {"program": program.pk}).json()["results"]
    ]
    assert ("monthly", "2022-07-01") not in keys

    clock.move_to(dt.date(2022, 8, 6))
    body = api_as(province_admin).get(url, {"program": program.pk, "page_size": 50}).json()
    july = next(r for r in body["results"] if r["period_start"] == "2022-07-01")
    assert july == {
        "allocation": allocation.pk,
        "product": {"id": allocation.product_id, "name": "清徐葡萄"},
        "division": {"code": "140121", "name": "市141县140121", "level": "county"},
        "kind": "monthly",
        "period_start": "2022-07-01",
        "period_label": "2022年7月",
        "due_date": "2022-08-05",
        "days_late": 1,
        "state": "missing",
        "report": None,
        "report_status": None,
    }


def test_overdue_list_needs_a_visible_program(clock, program, allocation, county_admin):
    client = api_as(county_admin)
    assert client.get(f"{REPORTS}overdue/").json()["code"] == "invalid"
    other = division_tree("610000")
    from dibiao.accounts.choices import Role
    from dibiao.testing.factories import user_with_role

    stranger = user_with_role(Role.PROVINCE_ADMIN, other["p"])
    response = api_as(stranger).get(f"{REPORTS}overdue/", {"program": program.pk})
    assert response.status_code == 404


def test_monthly_table_as_json_excel_and_word(
    clock, program, allocation, other_allocation, county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 4))
    file_report(county_admin, allocation)
    clock.move_to(dt.date(2022, 8, 10))
    url = f"{REPORTS}table/"
    client = api_as(province_admin)

    body = client.get(url, {"program": program.pk, "month": "2022-07"}).json()
    assert [(r["product"], r["state"]) for r in body["rows"]] == [
        ("沁水刺槐蜂蜜", "missing"),
        ("清徐葡萄", "on_time"),
    ]
    assert body["total_amount"] == "5700000.00"

    excel = client.get(url, {"program": program.pk, "month": "2022-07", "format": "xlsx"})
    assert excel.status_code == 200
    rows = xlsx_rows(excel)
    assert rows[0][:4] == ("序号", "产品", "实施地区", "报送情况")
    assert rows[2][1:4] == ("清徐葡萄", "市141县140121", "按时报送")
    assert rows[-1][0] == "合计"

    word = client.get(url, {"program": program.pk, "month": "2022-07", "format": "docx"})
    assert word.status_code == 200
    document = Document(io.BytesIO(streamed(word)))
    assert "2022年7月进展调度表" in document.paragraphs[0].text
    table = document.tables[0]
    assert table.rows[2].cells[1].text == "清徐葡萄"
    assert AuditLog.objects.filter(action=AuditAction.EXPORT).count() == 2


def test_monthly_table_is_for_supervisors_and_checks_its_parameters(
    clock, program, allocation, county_admin, province_admin
):
    url = f"{REPORTS}table/"
    refused = api_as(county_admin).get(url, {"program": program.pk, "month": "2022-07"})
    assert refused.status_code == 403
    for params in (
        {"program": program.pk, "month": "2021-07"},
        {"program": program.pk, "month": "July"},
        {"program": program.pk, "month": "2022-07", "format": "pdf"},
    ):
        response = api_as(province_admin).get(url, params)
        assert (response.status_code, response.json()["code"]) == (400, "invalid")


# --- supervision ------------------------------------------------------------------------------


INSPECTIONS = "/api/v1/inspections/"
NOTICES = "/api/v1/criticism-notices/"


def _notice_body(program, code="140121", **extra):
    return {
        "program": program.pk,
        "division": code,
        "title": "关于管理不规范的通报",
        "issues": "台账不全。",
        "issued_on": "2022-06-10",
        "rectify_by": "2022-07-10",
        **extra,
    }


def test_visits_and_notices_through_the_api(
    clock, program, allocation, other_allocation, city_admin, county_admin, other_county_admin
):
    clock.move_to(dt.date(2022, 6, 10))
    visit = api_as(city_admin).post(
        INSPECTIONS,
        {
            "program": program.pk,
            "division": "140121",
            "visited_on": "2022-06-08",
            "inspectors": "王某",
            "findings": "台账不全。",
        },
        format="json",
    )
    assert visit.status_code == 201, visit.json()
    assert visit.json()["division"]["code"] == "140121"

    created = api_as(city_admin).post(
        NOTICES, _notice_body(program, inspection=visit.json()["id"]), format="json"
    )
    assert created.status_code == 201, created.json()
    notice = created.json()
    assert notice["status"] == NoticeStatus.OPEN
    assert notice["is_overdue"] is False
    assert notice["issuer_division"]["code"] == "140100"

    out_of_scope = api_as(city_admin).post(NOTICES, _notice_body(program, "140221"), format="json")
    assert (out_of_scope.status_code, out_of_scope.json()["code"]) == (
        400,
        "division_out_of_scope",
    )
    by_county = api_as(county_admin).post(NOTICES, _notice_body(program), format="json")
    assert by_county.status_code == 403

    url = f"{NOTICES}{notice['id']}/"
    other = api_as(other_county_admin)
    assert other.get(url).status_code == 404
    assert other.post(f"{url}rectify/", {"report": "x"}, format="json").status_code == 404
    assert other.post(f"{url}close/", {}, format="json").status_code == 404
    assert other.post(f"{url}return/", {"reason": "x"}, format="json").status_code == 404
    assert other.get(INSPECTIONS).json()["count"] == 0
    assert other.get(f"{INSPECTIONS}{visit.json()['id']}/").status_code == 404
    assert other.get(NOTICES).json()["count"] == 0

    clock.move_to(dt.date(2022, 7, 11))
    overdue = api_as(county_admin).get(NOTICES, {"overdue": "true"}).json()
    assert [n["id"] for n in overdue["results"]] == [notice["id"]]
    assert overdue["results"][0]["is_overdue"] is True

    rectified = api_as(county_admin).post(f"{url}rectify/", {"report": "已整改"}, format="json")
    assert rectified.json()["status"] == NoticeStatus.RECTIFIED
    assert rectified.json()["rectified_late"] is True
    returned = api_as(city_admin).post(
        f"{url}return/", {"reason": "不到位", "rectify_by": "2022-08-10"}, format="json"
    )
    assert returned.json()["status"] == NoticeStatus.OPEN
    assert returned.json()["rectify_by"] == "2022-08-10"
    api_as(county_admin).post(f"{url}rectify/", {"report": "再次整改"}, format="json")
    closed = api_as(city_admin).post(f"{url}close/", {"note": "到位"}, format="json")
    assert closed.json()["status"] == NoticeStatus.CLOSED
    again = api_as(city_admin).post(f"{url}close/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")
    assert CriticismNotice.objects.get().review_note == "到位"
