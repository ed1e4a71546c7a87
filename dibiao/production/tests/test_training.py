"""Training sessions: recording, editing, attendee lists (form, Excel, API), person-times."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dibiao.core import pii
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.production.errors import ProductionError
from dibiao.production.models import TrainingAttendee, TrainingSession
from dibiao.production.selectors import training_person_times
from dibiao.production.services.training import (
    AttendeeInput,
    attendees_from_xlsx,
    training_attendee_add,
    training_attendee_remove,
    training_attendees_replace,
    training_create,
    training_update,
)
from dibiao.production.tests.logs_fixtures import api_as, client_as, grower
from dibiao.testing.factories import ProductFactory
from dibiao.testing.files import pdf_upload

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def product(tree):
    return ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])


def _data(product, county, **values) -> dict:
    data = {
        "product": product,
        "division": county,
        "held_on": dt.date(2026, 4, 10),
        "place": "清徐县孟封镇",
        "topic": "葡萄绿色防控技术",
        "trainer": "李研究员",
        "attendee_count": 30,
        "notes": "",
    }
    data.update(values)
    return data


@pytest.fixture
def session(county_admin, product, tree):
    return training_create(actor=county_admin, data=_data(product, tree["c1a"]))


def _xlsx(rows, name="名单.xlsx") -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


# --- Services ------------------------------------------------------------------------------------


def test_a_county_admin_records_a_session_for_its_bureau(session, county_admin):
    bureau = county_admin.memberships.get().organization
    assert (session.organizer, session.recorded_by, session.attendee_count) == (
        bureau,
        county_admin,
        30,
    )
    assert AuditLog.objects.filter(action=AuditAction.CREATE, object_id=str(session.pk)).exists()


def test_a_producer_records_on_its_product_in_its_county(tree):
    user, entry, _, product = grower(tree)
    session = training_create(actor=user, data=_data(product, tree["c1a"]))
    assert session.organizer == entry.organization


def test_a_producer_cannot_train_elsewhere_or_on_another_product(tree, product):
    user, _, _, own = grower(tree)
    with pytest.raises(ProductionError) as excinfo:
        training_create(actor=user, data=_data(own, tree["c1b"]))
    assert excinfo.value.code == "division_out_of_scope"
    with pytest.raises(ProductionError) as excinfo:
        training_create(actor=user, data=_data(product, tree["c1a"]))
    assert excinfo.value.code == "product_out_of_scope"


def test_a_county_cannot_record_in_another_county(county_admin, product, tree):
    with pytest.raises(ProductionError) as excinfo:
        training_create(actor=county_admin, data=_data(product, tree["c2a"]))
    assert excinfo.value.code == "division_out_of_scope"


def test_the_province_records_in_any_county(province_admin, product, tree):
    session = training_create(actor=province_admin, data=_data(product, tree["c1a"]))
    assert session.division == tree["c1a"]


@pytest.mark.parametrize("role_user", ["city_admin", "lab_user", "auditor"])
def test_other_roles_cannot_record(role_user, request, product, tree):
    with pytest.raises(ForbiddenError):
        training_create(actor=request.getfixturevalue(role_user), data=_data(product, tree["c1a"]))


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"attendee_count": 0}, "invalid_attendee_count"),
        ({"held_on": dt.date(2026, 6, 16)}, "held_on_in_future"),
        ({"topic": ""}, "invalid_training"),
        ({"held_on": None}, "training_field_required"),
    ],
)
def test_bad_sessions_are_refused(county_admin, product, tree, values, code):
    with pytest.raises(ProductionError) as excinfo:
        training_create(actor=county_admin, data=_data(product, tree["c1a"], **values))
    assert excinfo.value.code == code
    assert not TrainingSession.objects.exists()


def test_attendees_are_sealed_and_masked(county_admin, product, tree):
    session = training_create(
        actor=county_admin,
        data=_data(product, tree["c1a"], attendee_count=2),
        attendees=[AttendeeInput("张三", "138 1234 5678"), AttendeeInput("李四")],
    )
    first, second = session.attendees.order_by("id")
    assert (first.phone_masked, pii.unseal(first.phone_sealed)) == ("138****5678", "13812345678")
    assert first.phone_digest == pii.digest("13812345678")
    assert (second.phone_masked, second.phone_sealed) == ("", "")


def test_a_count_smaller_than_the_list_is_refused(county_admin, product, tree, session):
    people = [AttendeeInput(f"学员{i}") for i in range(3)]
    with pytest.raises(ProductionError) as excinfo:
        training_create(
            actor=county_admin, data=_data(product, tree["c1a"], attendee_count=2), attendees=people
        )
    assert excinfo.value.code == "attendee_count_too_small"
    training_attendees_replace(actor=county_admin, session=session, attendees=people)
    with pytest.raises(ProductionError) as excinfo:
        training_update(actor=county_admin, session=session, data={"attendee_count": 2})
    assert excinfo.value.code == "attendee_count_too_small"
    session.refresh_from_db()
    assert session.attendee_count == 30


def test_bad_attendees_are_refused_together(county_admin, session, tree):
    from dibiao.testing.factories import producer

    elsewhere = producer(tree["c2a"])
    people = [
        AttendeeInput(""),
        AttendeeInput("王五", "12345"),
        AttendeeInput("赵六", producer=elsewhere),
    ]
    with pytest.raises(ProductionError) as excinfo:
        training_attendees_replace(actor=county_admin, session=session, attendees=people)
    message = excinfo.value.message
    assert "第 1 人：姓名为空" in message
    assert "格式不正确" in message
    assert "不在您的数据范围内" in message
    assert not TrainingAttendee.objects.exists()


def test_add_and_remove_an_attendee(county_admin, session):
    row = training_attendee_add(
        actor=county_admin, session=session, attendee=AttendeeInput("张三", "13812345678")
    )
    assert session.attendees.count() == 1
    training_attendee_remove(actor=county_admin, session=session, attendee_id=row.pk)
    assert not session.attendees.exists()
    with pytest.raises(NotFoundError):
        training_attendee_remove(actor=county_admin, session=session, attendee_id=row.pk)


def test_another_county_cannot_change_a_session(session, other_county_admin):
    with pytest.raises(NotFoundError):
        training_update(actor=other_county_admin, session=session, data={"topic": "x"})
    with pytest.raises(NotFoundError):
        training_attendees_replace(actor=other_county_admin, session=session, attendees=[])


def test_editing_keeps_the_organizer_and_is_audited(session, province_admin):
    updated = training_update(actor=province_admin, session=session, data={"trainer": "王教授"})
    assert updated.organizer == session.organizer
    row = AuditLog.objects.get(action=AuditAction.UPDATE, object_id=str(session.pk))
    assert row.changes == {"before": {"trainer": "李研究员"}, "after": {"trainer": "王教授"}}


# --- Excel import -----------------------------------------------------------------------------


def test_an_excel_list_is_read():
    people = attendees_from_xlsx(
        _xlsx(
            [
                ["序号", "姓名", "手机号"],
                [1, "张三", 13812345678],
                [2, "李四", None],
                [None, None, None],
            ]
        )
    )
    assert [(p.name, p.phone) for p in people] == [("张三", "13812345678"), ("李四", "")]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["名字列", "电话"], ["张三", ""]], "姓名"),
        ([["姓名", "电话"], ["张三", "abc"]], "第 2 行：电话“abc”格式不正确"),
        ([["姓名", "电话"], ["", "13812345678"]], "第 2 行：姓名为空"),
        ([["姓名", "电话"]], "没有参训人员"),
    ],
)
def test_a_bad_excel_list_is_refused(rows, message):
    with pytest.raises(ProductionError, match=message):
        attendees_from_xlsx(_xlsx(rows))


def test_a_file_that_is_not_excel_is_refused():
    from dibiao.core.uploads import UploadError

    with pytest.raises(UploadError):
        attendees_from_xlsx(pdf_upload("名单.xlsx"))


# --- Person-times -------------------------------------------------------------------------------


def test_person_times_add_up_per_product_and_year(county_admin, product, tree):
    other = ProductFactory.create(name="清徐老陈醋", divisions=[tree["c1a"]])
    for count, held_on, item in (
        (30, dt.date(2025, 5, 1), product),
        (45, dt.date(2025, 9, 1), product),
        (20, dt.date(2026, 3, 1), product),
        (12, dt.date(2025, 6, 1), other),
    ):
        training_create(
            actor=county_admin,
            data=_data(item, tree["c1a"], attendee_count=count, held_on=held_on),
        )
    rows = {
        (r.product_name, r.year): (r.sessions, r.person_times)
        for r in training_person_times(user=county_admin, year=None)
    }
    assert rows == {
        ("清徐老陈醋", 2025): (1, 12),
        ("清徐葡萄", 2025): (2, 75),
        ("清徐葡萄", 2026): (1, 20),
    }
    only = training_person_times(user=county_admin, year=2025, product=product.pk)
    assert [(r.year, r.person_times) for r in only] == [(2025, 75)]


def test_adding_a_session_raises_person_times(county_admin, product, tree, session):
    before = training_person_times(user=county_admin, year=2026)[0].person_times
    training_create(actor=county_admin, data=_data(product, tree["c1a"], attendee_count=18))
    after = training_person_times(user=county_admin, year=2026)[0].person_times
    assert (before, after) == (30, 48)


def test_person_times_ignore_the_attendee_list_length(county_admin, session):
    training_attendees_replace(
        actor=county_admin,
        session=session,
        attendees=[AttendeeInput("张三"), AttendeeInput("李四"), AttendeeInput("王五")],
    )
    assert training_person_times(user=county_admin, year=2026)[0].person_times == 30


def test_person_times_are_scoped(session, other_county_admin, city_admin):
    assert training_person_times(user=other_county_admin, year=None) == []
    assert training_person_times(user=city_admin, year=None)[0].person_times == 30


# --- Pages ---------------------------------------------------------------------------------------


def test_the_form_records_a_session_with_attendees(county_admin, product, tree):
    data = {
        "product": product.pk,
        "division": tree["c1a"].pk,
        "held_on": "2026-04-10",
        "place": "孟封镇",
        "topic": "葡萄修剪",
        "trainer": "李研究员",
        "attendee_count": "25",
        "attendees-TOTAL_FORMS": "3",
        "attendees-INITIAL_FORMS": "0",
        "attendees-0-name": "张三",
        "attendees-0-phone": "13812345678",
        "attendees-1-name": "李四",
        "attendees-2-name": "",
    }
    response = client_as(county_admin).post(reverse("production:training-create"), data)
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert [a.name for a in session.attendees.order_by("id")] == ["张三", "李四"]


def test_the_form_shows_a_bad_phone_next_to_it(county_admin, product, tree):
    data = {
        "product": product.pk,
        "division": tree["c1a"].pk,
        "held_on": "2026-04-10",
        "place": "孟封镇",
        "topic": "葡萄修剪",
        "trainer": "李研究员",
        "attendee_count": "25",
        "attendees-TOTAL_FORMS": "1",
        "attendees-INITIAL_FORMS": "0",
        "attendees-0-name": "张三",
        "attendees-0-phone": "12",
    }
    response = client_as(county_admin).post(reverse("production:training-create"), data)
    assert response.status_code == 200
    assert "请填写 11 位手机号" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_detail_masks_phones_and_offers_import_and_photos(county_admin, session):
    training_attendees_replace(
        actor=county_admin, session=session, attendees=[AttendeeInput("张三", "13812345678")]
    )
    html = (
        client_as(county_admin)
        .get(reverse("production:training-detail", args=[session.pk]))
        .content.decode()
    )
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "从 Excel 导入" in html
    assert "签到表" in html


def test_importing_an_excel_list_through_the_page(county_admin, session):
    upload = _xlsx([["姓名", "电话"], ["张三", "13812345678"], ["李四", ""]])
    response = client_as(county_admin).post(
        reverse("production:training-attendee-import", args=[session.pk]),
        {"file": upload},
        follow=True,
    )
    assert "已导入参训人员 2 人" in response.content.decode()
    assert session.attendees.count() == 2


def test_a_bad_import_leaves_the_list_and_says_why(county_admin, session):
    training_attendees_replace(actor=county_admin, session=session, attendees=[AttendeeInput("甲")])
    upload = _xlsx([["姓名", "电话"], ["张三", "abc"]])
    response = client_as(county_admin).post(
        reverse("production:training-attendee-import", args=[session.pk]),
        {"file": upload},
        follow=True,
    )
    assert "未导入" in response.content.decode()
    assert list(session.attendees.values_list("name", flat=True)) == ["甲"]


def test_add_and_remove_through_the_page(county_admin, session):
    client = client_as(county_admin)
    client.post(
        reverse("production:training-attendee-add", args=[session.pk]),
        {"name": "张三", "phone": "13812345678"},
    )
    row = session.attendees.get()
    client.post(reverse("production:training-attendee-remove", args=[session.pk, row.pk]))
    assert not session.attendees.exists()


def test_editing_through_the_page(county_admin, session, product, tree):
    data = {
        "product": product.pk,
        "division": tree["c1a"].pk,
        "held_on": "2026-04-11",
        "place": "孟封镇",
        "topic": "葡萄修剪（二）",
        "trainer": "李研究员",
        "attendee_count": "31",
    }
    response = client_as(county_admin).post(
        reverse("production:training-edit", args=[session.pk]), data
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.topic, session.attendee_count) == ("葡萄修剪（二）", 31)


def test_another_county_gets_404_on_every_training_page(session, other_county_admin):
    client = client_as(other_county_admin)
    for name in ("production:training-detail", "production:training-edit"):
        assert client.get(reverse(name, args=[session.pk])).status_code == 404
    for name in ("production:training-attendee-import", "production:training-attendee-add"):
        assert client.post(reverse(name, args=[session.pk])).status_code == 404
    remove = reverse("production:training-attendee-remove", args=[session.pk, 1])
    assert client.post(remove).status_code == 404
    assert (
        "葡萄绿色防控技术" not in client.get(reverse("production:training-list")).content.decode()
    )


def test_list_and_summary_pages(county_admin, session, city_admin):
    client = client_as(county_admin)
    html = client.get(reverse("production:training-list"), {"q": "绿色"}).content.decode()
    assert "葡萄绿色防控技术" in html
    summary = client_as(city_admin).get(reverse("production:training-summary")).content.decode()
    assert "清徐葡萄" in summary
    assert "2026 年" in summary
    assert "<strong>30</strong>" in summary


def test_pages_need_a_business_role(lab_user, session):
    client = client_as(lab_user)
    assert client.get(reverse("production:training-list")).status_code == 403
    assert client.get(reverse("production:training-create")).status_code == 403


# --- API -----------------------------------------------------------------------------------------


def test_api_create_list_detail(county_admin, product, tree):
    body = {
        "product": product.pk,
        "division": tree["c1a"].code,
        "held_on": "2026-04-10",
        "place": "孟封镇",
        "topic": "葡萄修剪",
        "trainer": "李研究员",
        "attendee_count": 5,
        "attendees": [{"name": "张三", "phone": "13812345678"}, {"name": "李四"}],
    }
    client = api_as(county_admin)
    response = client.post("/api/v1/trainings/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["listed"] == 2
    assert created["attendees"][0]["phone"] == "138****5678"
    assert client.get("/api/v1/trainings/").json()["count"] == 1
    body["attendee_count"] = 1
    response = client.post("/api/v1/trainings/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "attendee_count_too_small")


def test_api_patch_and_replace_attendees(county_admin, session):
    client = api_as(county_admin)
    response = client.patch(
        f"/api/v1/trainings/{session.pk}/", {"attendee_count": 40}, format="json"
    )
    assert (response.status_code, response.json()["attendee_count"]) == (200, 40)
    response = client.put(
        f"/api/v1/trainings/{session.pk}/attendees/",
        {"attendees": [{"name": "张三"}, {"name": "李四", "phone": "0351-1234567"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [a["phone"] for a in response.json()["attendees"]] == ["", "035****4567"]


def test_api_person_times(county_admin, session):
    response = api_as(county_admin).get("/api/v1/trainings/person-times/", {"year": 2026})
    assert response.json() == [
        {
            "product_id": session.product_id,
            "product_name": "清徐葡萄",
            "year": 2026,
            "sessions": 1,
            "person_times": 30,
        }
    ]


def test_api_another_county_gets_404(session, other_county_admin):
    client = api_as(other_county_admin)
    assert client.get(f"/api/v1/trainings/{session.pk}/").status_code == 404
    assert (
        client.patch(f"/api/v1/trainings/{session.pk}/", {"topic": "x"}, format="json").status_code
        == 404
    )
    response = client.put(
        f"/api/v1/trainings/{session.pk}/attendees/", {"attendees": []}, format="json"
    )
    assert response.status_code == 404
    assert client.get("/api/v1/trainings/person-times/").json() == []


def test_api_refuses_a_county_outside_the_choices(county_admin, product, tree):
    body = {
        "product": product.pk,
        "division": tree["c2a"].code,
        "held_on": "2026-04-10",
        "place": "x",
        "topic": "x",
        "trainer": "x",
        "attendee_count": 5,
    }
    response = api_as(county_admin).post("/api/v1/trainings/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
