from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.disclosure import services
from dibiao.disclosure.choices import NoticeKind, NoticeStatus, ObjectionStatus
from dibiao.disclosure.models import Notice, Objection
from dibiao.disclosure.tests.conftest import END, START, notice_data, submit
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db

OBJECTION = {
    "name": "李四",
    "contact": "0351-7654321",
    "text": "公示的补助金额与实施方案不一致，请核实。",
}


def api_as(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


# --- staff: read -------------------------------------------------------------------------------


def test_staff_list_is_scoped(open_notice, foreign_notice, province_draft, county_admin):
    response = api_as(county_admin).get("/api/v1/notices/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    row = response.json()["results"][0]
    assert row["title"] == "县资金安排公示"
    assert row["phase"] == "open"
    assert row["phase_display"] == "公示中"
    assert row["division"] == {"code": "140121", "name": "县140121"}
    assert row["objection_count"] == 0


def test_province_admin_lists_province_and_county_notices(
    open_notice, foreign_notice, province_draft, province_admin
):
    response = api_as(province_admin).get("/api/v1/notices/")
    assert sorted(_titles(response)) == sorted(["县资金安排公示", "他县公示", province_draft.title])


def test_city_admin_lists_its_counties_only(
    open_notice, foreign_notice, province_draft, city_admin
):
    assert _titles(api_as(city_admin).get("/api/v1/notices/")) == ["县资金安排公示"]


def test_staff_list_filters(open_notice, county_draft, county_admin, clock):
    client = api_as(county_admin)
    assert _titles(client.get("/api/v1/notices/", {"phase": "open"})) == ["县资金安排公示"]
    assert _titles(client.get("/api/v1/notices/", {"status": "draft"})) == []
    assert _titles(client.get("/api/v1/notices/", {"kind": "selection_result"})) == []
    assert _titles(client.get("/api/v1/notices/", {"q": "资金"})) == ["县资金安排公示"]


def test_anonymous_staff_list_is_401(clock):
    response = api_as().get("/api/v1/notices/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- staff: write ------------------------------------------------------------------------------


def test_county_admin_creates_draft_without_naming_division(clock, tree, county_admin):
    response = api_as(county_admin).post(
        "/api/v1/notices/",
        {
            "kind": "progress",
            "title": "实施进展",
            "body": "进展顺利。",
            "start_date": "2021-06-02",
            "end_date": "2021-06-09",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["division"]["code"] == tree["c1a"].code


def test_create_with_out_of_scope_product_is_invalid(clock, tree, county_admin):
    foreign = ProductFactory.create(divisions=[tree["c2a"]])
    response = api_as(county_admin).post(
        "/api/v1/notices/",
        {**notice_data(start_date="2021-06-01", end_date="2021-06-07"), "product": foreign.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "product" in response.json()["errors"]


def test_create_in_other_county_is_coded_400(clock, tree, county_admin):
    response = api_as(county_admin).post(
        "/api/v1/notices/",
        {**notice_data(start_date="2021-06-01", end_date="2021-06-07"), "division": "140221"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "division_out_of_scope"


def test_city_admin_create_is_403(clock, city_admin):
    response = api_as(city_admin).post(
        "/api/v1/notices/",
        notice_data(start_date="2021-06-01", end_date="2021-06-07"),
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_patch_draft_and_refuse_patch_of_published(county_draft, county_admin):
    client = api_as(county_admin)
    url = f"/api/v1/notices/{county_draft.pk}/"
    response = client.patch(url, {"title": "新标题", "end_date": "2021-06-10"}, format="json")
    assert response.status_code == 200
    assert response.json()["title"] == "新标题"
    assert response.json()["end_date"] == "2021-06-10"

    response = client.patch(url, {"end_date": "2021-05-01"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_notice"

    client.post(f"/api/v1/notices/{county_draft.pk}/publish/")
    response = client.patch(url, {"title": "再改"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_draft"


def test_publish_withdraw_and_their_conflicts(county_draft, county_admin):
    client = api_as(county_admin)
    base = f"/api/v1/notices/{county_draft.pk}"

    response = client.post(f"{base}/withdraw/", {"reason": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")

    response = client.post(f"{base}/publish/")
    assert response.status_code == 200
    assert response.json()["status"] == "published"

    response = client.post(f"{base}/publish/")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")

    response = client.post(f"{base}/withdraw/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")

    response = client.post(f"{base}/withdraw/", {"reason": "数据有误"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["withdraw_reason"] == "数据有误"


def test_publish_with_past_start_is_coded(county_draft, county_admin, clock):
    clock.move_to(START + dt.timedelta(days=2))
    response = api_as(county_admin).post(f"/api/v1/notices/{county_draft.pk}/publish/")
    assert (response.status_code, response.json()["code"]) == (400, "start_in_past")


def test_objections_answer_and_settle(open_notice, county_admin, clock):
    objection = submit(open_notice)
    client = api_as(county_admin)
    base = f"/api/v1/notices/{open_notice.pk}"

    response = client.get(f"{base}/objections/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["contact"] == "138****5678"
    assert row["status"] == "pending"

    clock.move_to(END + dt.timedelta(days=1))
    response = client.post(f"{base}/settle/", {"settlement": "不成立。"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "objections_pending")

    response = client.post(
        f"/api/v1/objections/{objection.pk}/answer/", {"answer": "已核实。"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "answered"
    response = client.post(
        f"/api/v1/objections/{objection.pk}/answer/", {"answer": "再答。"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "already_answered")

    assert client.get(f"{base}/objections/", {"status": "pending"}).json()["count"] == 0

    response = client.post(f"{base}/settle/", {"settlement": "不成立。"}, format="json")
    assert response.status_code == 200
    assert response.json()["settlement"] == "不成立。"


def test_contact_endpoint_reveals_and_audits(open_notice, county_admin):
    objection = submit(open_notice)
    response = api_as(county_admin).post(f"/api/v1/objections/{objection.pk}/contact/")

    assert response.status_code == 200
    assert response.json() == {"id": objection.pk, "contact": "13812345678"}
    assert AuditLog.objects.filter(
        action=AuditAction.VIEW_SENSITIVE, object_id=str(objection.pk)
    ).exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/api/v1/notices/{n}/", None),
        ("patch", "/api/v1/notices/{n}/", {"title": "改"}),
        ("post", "/api/v1/notices/{n}/publish/", None),
        ("post", "/api/v1/notices/{n}/withdraw/", {"reason": "x"}),
        ("post", "/api/v1/notices/{n}/settle/", {"settlement": "x"}),
        ("get", "/api/v1/notices/{n}/objections/", None),
        ("post", "/api/v1/objections/{o}/answer/", {"answer": "x"}),
        ("post", "/api/v1/objections/{o}/contact/", None),
    ],
)
def test_other_county_gets_404_on_every_staff_endpoint(
    foreign_notice, county_admin, method, path, data
):
    objection = submit(foreign_notice)
    url = path.format(n=foreign_notice.pk, o=objection.pk)
    response = getattr(api_as(county_admin), method)(url, data, format="json")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    foreign_notice.refresh_from_db()
    objection.refresh_from_db()
    assert foreign_notice.status == NoticeStatus.PUBLISHED
    assert objection.status == ObjectionStatus.PENDING


# --- public ------------------------------------------------------------------------------------


def test_public_list_open_and_archived(open_notice, county_admin, clock, tree):
    clock.move_to(START - dt.timedelta(days=10))
    old = services.notice_publish(
        actor=county_admin,
        notice=services.notice_save(
            actor=county_admin,
            data=notice_data(
                title="旧公示",
                start_date=START - dt.timedelta(days=10),
                end_date=START - dt.timedelta(days=3),
            ),
            division=tree["c1a"],
        ),
    )
    clock.move_to(START)
    services.notice_save(actor=county_admin, data=notice_data(title="草稿"), division=tree["c1a"])

    response = api_as().get("/api/v1/public/notices/")
    assert response.status_code == 200
    assert _titles(response) == ["县资金安排公示"]
    row = response.json()["results"][0]
    assert "status" not in row
    assert row["objection_count"] == 0

    response = api_as().get("/api/v1/public/notices/", {"archived": "1"})
    assert _titles(response) == [old.title]


@pytest.mark.parametrize("state", ["draft", "withdrawn", "upcoming"])
def test_public_detail_of_non_public_notice_is_404(county_draft, county_admin, clock, state):
    if state == "withdrawn":
        services.notice_publish(actor=county_admin, notice=county_draft)
        services.notice_withdraw(actor=county_admin, notice=county_draft, reason="更正")
    elif state == "upcoming":
        clock.move_to(START - dt.timedelta(days=1))
        services.notice_publish(actor=county_admin, notice=county_draft)
    client = api_as()
    assert client.get(f"/api/v1/public/notices/{county_draft.pk}/").status_code == 404
    response = client.post(f"/api/v1/public/notices/{county_draft.pk}/objections/", OBJECTION)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_public_detail_shows_counts_not_objectors(open_notice, county_admin):
    objection = submit(open_notice)
    submit(open_notice)
    services.objection_answer(actor=county_admin, objection=objection, answer="已核实。")
    response = api_as().get(f"/api/v1/public/notices/{open_notice.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert body["objection_count"] == 2
    assert body["answered_count"] == 1
    assert "张三" not in response.content.decode()


def test_public_objection_is_created_with_receipt(open_notice):
    response = api_as().post(
        f"/api/v1/public/notices/{open_notice.pk}/objections/", OBJECTION, format="json"
    )

    assert response.status_code == 201, response.json()
    objection = Objection.objects.get()
    assert response.json() == {
        "receipt": objection.receipt,
        "notice": open_notice.pk,
        "submitted_at": response.json()["submitted_at"],
        "status": "pending",
    }
    assert objection.client_ip == "127.0.0.1"


def test_public_objection_validation_is_coded_400(open_notice):
    response = api_as().post(
        f"/api/v1/public/notices/{open_notice.pk}/objections/",
        {"name": "李四", "contact": "0000", "text": "短"},
        format="json",
    )

    body = response.json()
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert "请填写有效的联系方式" in body["errors"]["contact"][0]
    assert body["errors"]["text"] == ["异议内容至少 10 个字。"]
    assert not Objection.objects.exists()


def test_fourth_public_objection_is_429_and_writes_nothing(open_notice):
    client = api_as()
    url = f"/api/v1/public/notices/{open_notice.pk}/objections/"
    for _ in range(3):
        assert client.post(url, OBJECTION, format="json").status_code == 201
    audit_rows = AuditLog.objects.count()

    response = client.post(url, OBJECTION, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert "提交过于频繁" in response.json()["message"]
    assert Objection.objects.count() == 3
    assert AuditLog.objects.count() == audit_rows


def test_public_objection_on_archived_notice_is_409(open_notice, clock):
    clock.move_to(END + dt.timedelta(days=1))
    response = api_as().post(
        f"/api/v1/public/notices/{open_notice.pk}/objections/", OBJECTION, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "notice_not_open")


def test_public_endpoints_ignore_a_bad_token(open_notice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/public/notices/").status_code == 200


def test_schema_describes_the_disclosure_endpoints(clock):
    response = APIClient().get("/api/schema/", {"format": "json"})
    paths = response.json()["paths"]
    components = response.json()["components"]["schemas"]
    # Named components of their own: no collision with other apps' "kind"/"status" enums.
    assert components["NoticeKind"]["enum"] == NoticeKind.values
    assert components["NoticeStatus"]["enum"] == NoticeStatus.values
    assert components["ObjectionStatus"]["enum"] == ObjectionStatus.values
    for path in (
        "/api/v1/notices/",
        "/api/v1/notices/{id}/settle/",
        "/api/v1/objections/{id}/answer/",
        "/api/v1/public/notices/{id}/objections/",
    ):
        assert path in paths
    assert Notice.objects.count() == 0


def test_rate_limited_answer_says_when_to_retry(settings):
    from dibiao.core.api import exception_handler
    from dibiao.core.errors import DomainError

    response = exception_handler(
        DomainError("rate_limited", "稍后再试", status=429, retry_after=120), {}
    )
    assert response is not None
    assert (response.status_code, response["Retry-After"]) == (429, "120")
