"""Counterfeit alerts for the staff: scope (the county and the province, never another county),
closing with a note, the thresholds page and API, the Excel export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.testing.factories import user_with_role
from dibiao.trace import codes
from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.counterfeit import trace_settings
from dibiao.trace.errors import TraceError
from dibiao.trace.models import CounterfeitAlert, TraceSettings
from dibiao.trace.services.alerts import alert_close, alert_raise, trace_settings_update
from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db

SETTINGS = {
    "max_scans_per_code": 30,
    "max_networks_per_code": 6,
    "max_speed_kmh": 400,
    "max_mac_failures_per_hour": 20,
    "scans_per_minute": 120,
}


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


@pytest.fixture
def world(tree):
    return fx.labels(tree)


@pytest.fixture
def county_alert(world, tree) -> CounterfeitAlert:
    return alert_raise(
        kind=AlertKind.TOO_MANY_SCANS,
        division=tree["c1a"],
        producer=world.producer,
        issuance=world.issuance,
        serial=1000,
        evidence={"scans": 21, "threshold": 20, "first_at": "2026-10-01T09:00:00+08:00"},
    )


@pytest.fixture
def province_alert(tree) -> CounterfeitAlert:
    return alert_raise(
        kind=AlertKind.MAC_FAILURE,
        division=tree["p"],
        evidence={"network": "0123456789abcdef", "failures_in_hour": 11},
    )


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Scope ----------------------------------------------------------------------------------------


def test_the_county_city_and_province_see_a_county_alert(
    client, county_alert, county_admin, city_admin, province_admin
):
    for user in (county_admin, city_admin, province_admin):
        client.force_login(user)
        assert client.get(f"/trace/alerts/{county_alert.pk}/").status_code == 200
        listed = client.get("/trace/alerts/").context["object_list"]
        assert [a.pk for a in listed] == [county_alert.pk]


def test_another_county_gets_404_for_an_alert_page_and_api(
    client, county_alert, other_county_admin
):
    client.force_login(other_county_admin)
    assert client.get(f"/trace/alerts/{county_alert.pk}/").status_code == 404
    assert client.post(f"/trace/alerts/{county_alert.pk}/close/", {"note": "x"}).status_code == 404
    assert list(client.get("/trace/alerts/").context["object_list"]) == []
    api = api_as(other_county_admin)
    assert api.get(f"/api/v1/trace/alerts/{county_alert.pk}/").json()["code"] == "not_found"
    response = api.post(f"/api/v1/trace/alerts/{county_alert.pk}/close/", {"note": "x"})
    assert response.status_code == 404
    assert api.get("/api/v1/trace/alerts/").json()["count"] == 0
    county_alert.refresh_from_db()
    assert county_alert.status == AlertStatus.OPEN


def test_forged_code_alerts_are_for_the_province_only(
    client, province_alert, county_admin, province_admin
):
    client.force_login(county_admin)
    assert client.get(f"/trace/alerts/{province_alert.pk}/").status_code == 404
    client.force_login(province_admin)
    response = client.get(f"/trace/alerts/{province_alert.pk}/")
    assert response.status_code == 200
    assert "0123456789abcdef" in response.content.decode()


def test_producers_and_administrators_do_not_see_alerts(client, county_alert, tree, sysadmin):
    producer_login = user_with_role(Role.PRODUCER, tree["c1a"])
    for user in (producer_login, sysadmin):
        client.force_login(user)
        assert client.get("/trace/alerts/").status_code == 403
        assert client.get(f"/trace/alerts/{county_alert.pk}/").status_code == 404
        assert api_as(user).get("/api/v1/trace/alerts/").status_code == 403


def test_the_alert_list_filters_by_kind_status_and_product(
    client, county_alert, world, tree, province_admin
):
    other = alert_raise(
        kind=AlertKind.VOIDED_SCAN,
        division=tree["c1a"],
        producer=world.producer,
        issuance=world.issuance,
        serial=1800,
        evidence={"scans": 1},
    )
    client.force_login(province_admin)

    def listed(**params):
        return [a.pk for a in client.get("/trace/alerts/", params).context["object_list"]]

    assert listed(kind=AlertKind.VOIDED_SCAN) == [other.pk]
    assert listed(status="closed") == []
    assert set(listed(product=str(world.product.pk))) == {county_alert.pk, other.pk}
    assert listed(product="999999") == []
    assert listed(kind="nonsense", product="²") == [other.pk, county_alert.pk]
    api = api_as(province_admin)
    body = api.get("/api/v1/trace/alerts/", {"kind": AlertKind.TOO_MANY_SCANS}).json()
    assert [r["id"] for r in body["results"]] == [county_alert.pk]
    assert body["results"][0]["code"] == codes.group(world.genuine)
    assert api.get("/api/v1/trace/alerts/", {"product": "x"}).status_code == 400


def test_the_alert_page_shows_the_evidence_and_the_code_s_recent_scans(
    client, county_alert, world, county_admin
):
    client.get(f"/t/{world.genuine}", REMOTE_ADDR="203.0.113.5")
    client.force_login(county_admin)
    html = client.get(f"/trace/alerts/{county_alert.pk}/").content.decode()
    for text in ("查询次数", "21", "阈值", "该码最近的查询", "扫码页", codes.group(world.genuine)):
        assert text in html
    assert "203.0.113" not in html
    assert "标记为已处理" in html


def test_an_empty_list_says_so(client, county_admin):
    client.force_login(county_admin)
    assert "还没有防伪预警" in client.get("/trace/alerts/").content.decode()


# --- Closing --------------------------------------------------------------------------------------


def test_the_county_closes_its_alert_with_a_note(client, county_alert, county_admin):
    client.force_login(county_admin)
    response = client.post(
        f"/trace/alerts/{county_alert.pk}/close/", {"note": "已核查：展柜样品"}, follow=True
    )
    assert "预警已处理" in response.content.decode()
    county_alert.refresh_from_db()
    assert county_alert.status == AlertStatus.CLOSED
    assert county_alert.closed_by == county_admin
    assert county_alert.note == "已核查：展柜样品"
    assert AuditLog.objects.filter(
        action="transition", object_type="trace.counterfeitalert", user=county_admin
    ).exists()


def test_closing_needs_a_note(client, county_alert, county_admin):
    with pytest.raises(TraceError) as raised:
        alert_close(actor=county_admin, alert=county_alert, note="   ")
    assert raised.value.code == "note_required"
    with pytest.raises(TraceError) as raised:
        alert_close(actor=county_admin, alert=county_alert, note="长" * 1001)
    assert raised.value.code == "note_too_long"
    client.force_login(county_admin)
    response = client.post(f"/trace/alerts/{county_alert.pk}/close/", {"note": ""}, follow=True)
    assert "请填写处理说明" in response.content.decode()
    county_alert.refresh_from_db()
    assert county_alert.status == AlertStatus.OPEN


def test_a_closed_alert_cannot_be_closed_again(county_alert, county_admin, province_admin):
    alert_close(actor=county_admin, alert=county_alert, note="已处理")
    with pytest.raises(TraceError) as raised:
        alert_close(actor=province_admin, alert=county_alert, note="再次处理")
    assert (raised.value.code, raised.value.status) == ("alert_closed", 409)
    response = api_as(province_admin).post(
        f"/api/v1/trace/alerts/{county_alert.pk}/close/", {"note": "再次处理"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "alert_closed"


def test_a_city_cannot_close_and_a_county_cannot_close_the_province_s(
    county_alert, province_alert, city_admin, county_admin, tree
):
    with pytest.raises(ForbiddenError):
        alert_close(actor=city_admin, alert=county_alert, note="市级处理")
    with pytest.raises(NotFoundError):
        alert_close(actor=county_admin, alert=province_alert, note="县级处理")
    county_gov = user_with_role(Role.COUNTY_GOV, tree["c1a"])
    with pytest.raises(ForbiddenError):
        alert_close(actor=county_gov, alert=county_alert, note="县政府处理")


def test_the_province_closes_through_the_api(province_alert, province_admin):
    api = api_as(province_admin)
    response = api.post(
        f"/api/v1/trace/alerts/{province_alert.pk}/close/",
        {"note": "已通报公安机关"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="close-1",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "closed"
    assert body["note"] == "已通报公安机关"
    again = api.post(
        f"/api/v1/trace/alerts/{province_alert.pk}/close/",
        {"note": "已通报公安机关"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="close-1",
    )
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert api.post(f"/api/v1/trace/alerts/{province_alert.pk}/close/", {}).status_code == 400


def test_closing_brings_a_suspicious_code_back_to_genuine(
    client, county_alert, world, county_admin
):
    assert client.get(f"/api/v1/trace/{world.genuine}").json()["status"] == "suspicious"
    alert_close(actor=county_admin, alert=county_alert, note="误报")
    assert client.get(f"/api/v1/trace/{world.genuine}").json()["status"] == "genuine"


# --- Export ---------------------------------------------------------------------------------------


def test_the_export_lists_the_alerts_in_scope_and_is_audited(
    client, county_alert, province_alert, county_admin
):
    client.force_login(county_admin)
    response = client.get("/trace/alerts/export/")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("预警时间", "类型", "状态")
    assert len(rows) == 2
    assert rows[1][1] == "同一码查询次数过多"
    assert "查询次数：21" in str(rows[1][7])
    assert AuditLog.objects.filter(action="export", object_type="trace.counterfeitalert").exists()


# --- Thresholds -----------------------------------------------------------------------------------


def test_the_province_sets_the_thresholds_on_the_page(client, province_admin):
    client.force_login(province_admin)
    assert client.get("/trace/alerts/settings/").status_code == 200
    response = client.post("/trace/alerts/settings/", SETTINGS, follow=True)
    assert "已保存" in response.content.decode()
    current = TraceSettings.objects.get(pk=1)
    assert current.max_scans_per_code == 30
    assert current.scans_per_minute == 120
    assert trace_settings().max_speed_kmh == 400  # the cache was refreshed
    assert AuditLog.objects.filter(action="update", object_type="trace.tracesettings").exists()


def test_thresholds_below_their_minimum_are_refused(client, province_admin):
    client.force_login(province_admin)
    response = client.post("/trace/alerts/settings/", {**SETTINGS, "max_speed_kmh": 10})
    assert response.status_code == 200
    assert "50" in response.content.decode()
    assert TraceSettings.objects.get(pk=1).max_speed_kmh == 300
    with pytest.raises(TraceError):
        trace_settings_update(actor=province_admin, **{**SETTINGS, "scans_per_minute": 1})
    with pytest.raises(TraceError):
        trace_settings_update(actor=province_admin, max_scans_per_code=5)


def test_other_government_users_read_but_cannot_change_the_thresholds(
    client, county_admin, sysadmin
):
    client.force_login(county_admin)
    response = client.get("/trace/alerts/settings/")
    assert response.status_code == 200
    assert "只有省级管理员可以修改" in response.content.decode()
    assert client.post("/trace/alerts/settings/", SETTINGS).status_code == 403
    with pytest.raises(ForbiddenError):
        trace_settings_update(actor=county_admin, **SETTINGS)
    api = api_as(county_admin)
    assert api.get("/api/v1/trace/settings/").json()["max_scans_per_code"] == 20
    assert api.put("/api/v1/trace/settings/", SETTINGS, format="json").status_code == 403
    client.force_login(sysadmin)
    assert client.get("/trace/alerts/settings/").status_code == 403


def test_the_province_sets_the_thresholds_through_the_api(province_admin):
    api = api_as(province_admin)
    response = api.put("/api/v1/trace/settings/", SETTINGS, format="json")
    assert response.status_code == 200
    assert response.json()["max_networks_per_code"] == 6
    bad = api.put(
        "/api/v1/trace/settings/", {**SETTINGS, "max_networks_per_code": 1}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_the_openapi_schema_describes_the_trace_endpoints(province_admin):
    schema = api_as(province_admin).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/trace/{code}" in paths
    assert "security" not in paths["/api/v1/trace/{code}"]["get"]  # no authentication at all
    for path in (
        "/api/v1/trace/alerts/",
        "/api/v1/trace/alerts/{id}/",
        "/api/v1/trace/alerts/{id}/close/",
        "/api/v1/trace/settings/",
        "/api/v1/trace/reconciliation/{id}/",
        "/api/v1/trace/reconciliation/{id}/check/",
    ):
        assert path in paths, path
