"""Bad input is answered with a page, a 400 or a coded error, never a 500: ids too large for a
database key, dates at the edges of the calendar, years no date lookup can build."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dibiao.production import models
from dibiao.production.errors import ProductionError
from dibiao.production.services.logs import log_create
from dibiao.production.services.training import attendees_from_xlsx, training_create
from dibiao.production.tests.logs_fixtures import api_as, at, client_as, grower, pesticide
from dibiao.production.tests.report_fixtures import lab_of, record, sample_in
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def farm(tree):
    user, entry, base, product = grower(tree)
    log_create(actor=user, base=base, data=pesticide(occurred_at=at("2024-05-01")))
    return user, entry, base, product


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("production:log-list", {"base": HUGE}),
        ("production:log-list", {"product": HUGE}),
        ("production:log-list", {"date_from": "0001-01-01", "date_to": "9999-12-31"}),
        ("production:log-export", {"base": HUGE, "date_from": "0001-01-01"}),
        ("production:report-list", {"product": HUGE, "producer": HUGE}),
        ("production:report-export", {"producer": HUGE}),
        ("production:report-base-options", {"producer": HUGE, "product": HUGE}),
        ("production:training-list", {"product": HUGE, "year": "999999999"}),
        ("production:training-list", {"year": "0"}),
        ("production:restriction-list", {"restriction_list": HUGE}),
    ],
)
def test_pages_ignore_impossible_filters(farm, province_admin, name, params):
    response = client_as(province_admin).get(reverse(name), params)
    assert response.status_code == 200


def test_calendar_edge_date_filters_keep_their_meaning(farm, province_admin):
    wide = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    page = api_as(province_admin).get("/api/v1/production-logs/", wide)
    assert (page.status_code, page.json()["count"]) == (200, 1)
    narrow = {"date_from": "2024-05-02", "date_to": "9999-12-31"}
    assert api_as(province_admin).get("/api/v1/production-logs/", narrow).json()["count"] == 0


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/production-logs/?base={HUGE}",
        f"/api/v1/production-logs/?product={HUGE}",
        f"/api/v1/test-reports/?product={HUGE}",
        f"/api/v1/test-reports/?producer={HUGE}",
        f"/api/v1/trainings/?product={HUGE}",
        f"/api/v1/trainings/person-times/?product={HUGE}",
        f"/api/v1/restricted-substances/?restriction_list={HUGE}",
    ],
)
def test_api_refuses_ids_too_large_for_a_key(farm, province_admin, url):
    response = api_as(province_admin).get(url)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


@pytest.mark.parametrize(
    ("when", "code"),
    [
        # DRF cannot even read this one as a local time: its own field error.
        ("0001-01-01T00:00:00", "invalid"),
        ("9999-12-31T23:59:00", "occurred_at_out_of_range"),
        ("1999-12-31T08:00", "occurred_at_out_of_range"),
    ],
)
def test_a_log_time_outside_2000_to_2100_is_a_coded_error(farm, when, code):
    user, _, base, _ = farm
    body = {"base": base.pk, "kind": "activity", "occurred_at": when, "status": "pending"}
    response = api_as(user).post("/api/v1/production-logs/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert "时间应在 2000 年至 2100 年之间。" in response.json()["message"]
    assert models.ProductionLog.objects.count() == 1


def test_a_log_time_out_of_range_on_the_pages_and_on_completion(farm):
    user, _, base, _ = farm
    client = client_as(user)
    form = {
        "base": base.pk,
        "kind": "activity",
        "occurred_at": "0001-01-01T00:00",
        "status": "pending",
        "operator": "王师傅",
    }
    for name in ("production:log-create", "production:log-quick"):
        response = client.post(reverse(name), form)
        assert response.status_code == 200
        assert "时间应在 2000 年至 2100 年之间。" in response.content.decode()
    planned = log_create(
        actor=user,
        base=base,
        data={"kind": "activity", "occurred_at": at("2024-06-01"), "status": "pending"},
    )
    response = client.post(
        reverse("production:log-complete", args=[planned.pk]),
        {"occurred_at": "0001-01-01T00:00"},
        follow=True,
    )
    assert "时间应在 2000 年至 2100 年之间。" in response.content.decode()
    api = api_as(user)
    for method, url in (
        (api.post, f"/api/v1/production-logs/{planned.pk}/complete/"),
        (api.patch, f"/api/v1/production-logs/{planned.pk}/"),
    ):
        unreadable = method(url, {"occurred_at": "0001-01-01T00:00"}, format="json")
        assert (unreadable.status_code, unreadable.json()["code"]) == (400, "invalid"), url
        early = method(url, {"occurred_at": "1999-06-01T00:00"}, format="json")
        assert (early.status_code, early.json()["code"]) == (400, "occurred_at_out_of_range")
    planned.refresh_from_db()
    assert planned.status == "pending"


def test_a_training_date_before_2000_is_refused(tree, county_admin):
    product = sample_in(tree["c1a"]).product
    body = {
        "product": product.pk,
        "division": tree["c1a"].code,
        "held_on": "0024-03-01",
        "place": "村委会",
        "topic": "修剪",
        "trainer": "李老师",
        "attendee_count": 3,
    }
    response = api_as(county_admin).post("/api/v1/trainings/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "held_on_too_early")
    assert not models.TrainingSession.objects.exists()


def test_a_sample_date_before_2000_is_refused(tree, lab_user):
    sample = sample_in(tree["c1a"])
    body = {
        "kind": "safety",
        "report_number": "JC-0024",
        "product": sample.product.pk,
        "producer": sample.producer.pk,
        "sample_code": "YP-1",
        "sampled_on": "0024-03-01",
        "tested_on": "2024-03-02",
        "items": [{"name": "毒死蜱", "value": "0.01", "limit_max": "0.5"}],
    }
    response = api_as(lab_user).post("/api/v1/test-reports/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_dates")
    assert "2000" in response.json()["message"]
    assert not models.TestReport.objects.exists()


def test_a_log_without_a_recorder_shows_none_as_blank(farm, province_admin):
    _, _, base, _ = farm
    system = log_create(
        actor=None,
        base=base,
        data={"kind": "activity", "occurred_at": at("2024-05-02"), "operator": "导入"},
    )
    assert system.recorded_by is None
    body = api_as(province_admin).get(f"/api/v1/production-logs/{system.pk}/").json()
    assert body["recorded_by"] == ""
    rows = api_as(province_admin).get("/api/v1/production-logs/").json()["results"]
    assert {row["recorded_by"] for row in rows} == {"", str(farm[0])}


def test_report_detail_and_options_survive_huge_ids(tree, lab_user):
    sample = sample_in(tree["c1a"])
    record(lab_user, sample, lab=lab_of(lab_user))
    client = client_as(lab_user)
    for url in (
        f"/production/reports/{HUGE}/",
        f"/production/reports/{HUGE}/file/",
        f"/production/training/{HUGE}/",
        f"/production/grading/{HUGE}/",
    ):
        assert client.get(url).status_code in (403, 404), url
    form = client.get(reverse("production:report-create"), {"producer": HUGE})
    assert form.status_code == 200


def test_a_formula_typed_into_a_log_or_report_is_exported_as_text(farm, tree, lab_user):
    user, _, base, product = farm
    log_create(
        actor=user,
        base=base,
        data={
            "kind": "observation",
            "occurred_at": at("2024-05-03"),
            "title": '=HYPERLINK("http://example.com","点我")',
            "operator": "+王师傅",
            "notes": "@SUM(A1:A9)",
        },
    )
    rows = xlsx_rows(client_as(user).get(reverse("production:log-export")))
    observed = next(row for row in rows[1:] if row[1] == "田间观察")
    assert observed[6] == '\'=HYPERLINK("http://example.com","点我")'
    assert (observed[7], observed[18]) == ("'+王师傅", "'@SUM(A1:A9)")
    record(
        lab_user,
        sample_in(tree["c1a"], product),
        lab=lab_of(lab_user),
        number="-1+1",
        sample_code="=1+1",
    )
    exported = xlsx_rows(client_as(lab_user).get(reverse("production:report-export")))
    assert (exported[1][0], exported[1][7]) == ("'-1+1", "'=1+1")


def _damaged_workbook(change: str) -> bytes:
    """A real attendee workbook with its sheet made unreadable: not XML, or left out."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.append(["姓名", "电话"])
    sheet.append(["张三", "13812345678"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if change == "missing":
                    continue
                content = b"<worksheet"
            target.writestr(info, content)
    return damaged.getvalue()


@pytest.mark.parametrize("change", ["not_xml", "missing"])
def test_a_damaged_attendee_workbook_is_refused_with_a_message(tree, county_admin, change):
    product = sample_in(tree["c1a"]).product
    session = training_create(
        actor=county_admin,
        data={
            "product": product,
            "division": tree["c1a"],
            "held_on": dt.date(2024, 3, 1),
            "place": "村委会",
            "topic": "修剪",
            "trainer": "李老师",
            "attendee_count": 5,
        },
    )
    upload = SimpleUploadedFile("名单.xlsx", _damaged_workbook(change))
    with pytest.raises(ProductionError) as excinfo:
        attendees_from_xlsx(upload)
    assert (excinfo.value.code, excinfo.value.message) == (
        "invalid_attendee_file",
        "无法读取该 Excel 文件。",
    )
    response = client_as(county_admin).post(
        reverse("production:training-attendee-import", args=[session.pk]),
        {"file": SimpleUploadedFile("名单.xlsx", _damaged_workbook(change))},
        follow=True,
    )
    assert "未导入：无法读取该 Excel 文件。" in response.content.decode()
    assert not session.attendees.exists()
