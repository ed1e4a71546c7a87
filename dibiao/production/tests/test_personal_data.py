"""Phone and ID numbers never leave the production pages, exports, API answers, error messages
or audit rows in clear, whoever asks: every response is scanned with the two patterns."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dibiao.core.models import AuditLog
from dibiao.production.services.logs import log_create
from dibiao.production.services.training import (
    AttendeeInput,
    training_attendee_add,
    training_attendee_remove,
    training_create,
)
from dibiao.production.tests.logs_fixtures import api_as, client_as, harvest, pesticide
from dibiao.production.tests.report_fixtures import Sample, lab_of, record
from dibiao.testing.factories import ProductFactory, id_number, producer_user, production_base
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db

PHONE = re.compile(r"1[3-9]\d{9}")
ID_NUMBER = re.compile(r"\d{17}[\dX]")
GROWER_PHONE = "13912345678"
ATTENDEE_PHONES = ("13812345678", "13700001111")
# One digit too many: refused, and quoted in the refusal.
BAD_PHONE = "138123456789"


def _leaks(text: str) -> list[str]:
    return PHONE.findall(text) + ID_NUMBER.findall(text)


def _text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        return json.dumps(xlsx_rows(response), ensure_ascii=False, default=str)
    return response.content.decode()


@pytest.fixture
def world(tree, county_admin, lab_user):
    """An individual grower (ID number and phone on file) with a base, its logs, a test report
    on it and a training session whose attendee list has phones."""
    product = ProductFactory.create(divisions=[tree["c1a"]])
    grower, entry = producer_user(
        tree["c1a"],
        kind="individual",
        name="王大",
        phone=GROWER_PHONE,
        id_number_value=id_number(42),
        products=[product],
    )
    base = production_base(entry, product)
    sprayed = log_create(
        actor=grower,
        base=base,
        data=pesticide(occurred_at=dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC)),
    )
    log_create(actor=grower, base=base, data=harvest("2024-05-10"))
    report = record(lab_user, Sample(product, entry, grower, base), lab=lab_of(lab_user), base=base)
    session = training_create(
        actor=county_admin,
        data={
            "product": product,
            "division": tree["c1a"],
            "held_on": dt.date(2024, 3, 1),
            "place": "村委会",
            "topic": "病虫害绿色防控",
            "trainer": "李老师",
            "attendee_count": 10,
        },
        attendees=[
            AttendeeInput("张三", ATTENDEE_PHONES[0], entry),
            AttendeeInput("李四", ATTENDEE_PHONES[1]),
        ],
    )
    added = training_attendee_add(
        actor=county_admin, session=session, attendee=AttendeeInput("赵五", "13600002222")
    )
    training_attendee_remove(actor=county_admin, session=session, attendee_id=added.pk)
    return {
        "grower": grower,
        "product": product,
        "log": sprayed,
        "report": report,
        "session": session,
    }


def _pages(world: dict[str, Any]) -> list[str]:
    product, log, report, session = (world[k] for k in ("product", "log", "report", "session"))
    return [
        reverse("production:log-list"),
        reverse("production:log-detail", args=[log.pk]),
        reverse("production:log-export"),
        reverse("production:log-quick"),
        reverse("production:report-list"),
        reverse("production:report-detail", args=[report.pk]),
        reverse("production:report-export"),
        reverse("production:report-producer-options") + "?q=王",
        reverse("production:report-base-options")
        + f"?producer={report.producer_id}&product={product.pk}",
        reverse("production:training-list"),
        reverse("production:training-detail", args=[session.pk]),
        reverse("production:training-summary"),
        reverse("production:grade-product-list"),
        reverse("production:grade-scheme", args=[product.pk]),
        reverse("production:restriction-list"),
    ]


def _api(world: dict[str, Any]) -> list[str]:
    product, log, report, session = (world[k] for k in ("product", "log", "report", "session"))
    return [
        "/api/v1/production-logs/",
        f"/api/v1/production-logs/{log.pk}/",
        "/api/v1/test-reports/",
        f"/api/v1/test-reports/{report.pk}/",
        "/api/v1/trainings/",
        f"/api/v1/trainings/{session.pk}/",
        "/api/v1/trainings/person-times/",
        f"/api/v1/grading-schemes/{product.pk}/",
    ]


@pytest.mark.parametrize(
    "who", ["county_admin", "city_admin", "province_admin", "lab_user", "grower"]
)
def test_no_page_export_or_api_answer_shows_a_phone_or_id_number(world, request, who):
    user = world["grower"] if who == "grower" else request.getfixturevalue(who)
    client, api = client_as(user), api_as(user)
    seen = 0
    for url in _pages(world):
        response = client.get(url)
        if response.status_code == 200:
            seen += 1
            assert _leaks(_text(response)) == [], (who, url)
    for url in _api(world):
        answer = api.get(url)
        if answer.status_code == 200:
            seen += 1
            assert _leaks(answer.content.decode()) == [], (who, url)
    # Each role reads something, so a scan that found nothing had something to scan.
    assert seen >= 8, who


def test_the_training_pages_show_the_attendees_masked(world, county_admin):
    session = world["session"]
    html = client_as(county_admin).get(reverse("production:training-detail", args=[session.pk]))
    text = html.content.decode()
    assert "张三" in text
    assert "138****5678" in text
    body = api_as(county_admin).get(f"/api/v1/trainings/{session.pk}/").json()
    assert [a["phone"] for a in body["attendees"]] == ["138****5678", "137****1111"]
    assert not {"phone_sealed", "phone_digest"} & set(body["attendees"][0])


def test_audit_rows_hold_no_phone_id_number_or_attendee_name(world):
    rows = list(AuditLog.objects.values("changes", "detail", "object_repr"))
    assert len(rows) >= 6
    dumped = json.dumps(rows, ensure_ascii=False, default=str)
    assert _leaks(dumped) == []
    # Adding and removing one attendee is on record with the name masked.
    assert "赵*" in dumped
    assert "赵五" not in dumped


def test_a_refused_phone_is_quoted_masked(world, county_admin):
    session = world["session"]
    response = api_as(county_admin).put(
        f"/api/v1/trainings/{session.pk}/attendees/",
        {"attendees": [{"name": "张三", "phone": BAD_PHONE}]},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_attendees")
    assert "138*****6789" in response.json()["message"]
    assert _leaks(response.content.decode()) == []

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    for row in (["姓名", "电话"], ["张三", BAD_PHONE], ["李四", "无"]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = client_as(county_admin).post(
        reverse("production:training-attendee-import", args=[session.pk]),
        {"file": SimpleUploadedFile("名单.xlsx", buffer.getvalue())},
        follow=True,
    )
    text = page.content.decode()
    assert "第 2 行：电话“138*****6789”格式不正确" in text
    assert "第 3 行：电话“无”格式不正确" in text
    assert _leaks(text) == []
