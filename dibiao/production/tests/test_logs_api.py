"""API v1 of production logs: scope, create with its checks, change, complete, idempotency.
Time is frozen at 2026-06-15."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dibiao.production.choices import LogStatus
from dibiao.production.models import ProductionLog
from dibiao.production.services.logs import log_create
from dibiao.production.tests.logs_fixtures import api_as, at, grower, harvest, load_lists, pesticide

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
URL = "/api/v1/production-logs/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def farm(tree):
    return grower(tree)


@pytest.fixture
def sprayed(farm):
    user, _, base, _ = farm
    return log_create(actor=user, base=base, data=pesticide(occurred_at=at("2026-05-01")))


def _body(base, **values) -> dict:
    return {"base": base.pk, "occurred_at": "2026-06-14T08:00:00+08:00", **values}


def test_list_and_detail_are_scoped(farm, sprayed, county_admin, other_county_admin):
    user, *_ = farm
    for viewer in (user, county_admin):
        page = api_as(viewer).get(URL).json()
        assert page["count"] == 1
        assert page["results"][0]["input_name"] == "吡虫啉"
        assert page["results"][0]["harvest_allowed_from"] == "2026-05-08"
    assert api_as(other_county_admin).get(URL).json()["count"] == 0
    response = api_as(other_county_admin).get(f"{URL}{sprayed.pk}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_another_county_gets_404_on_every_write(sprayed, other_county_admin, tree):
    neighbour, *_ = grower(tree, "c1b")
    for user in (other_county_admin, neighbour):
        client = api_as(user)
        assert client.patch(f"{URL}{sprayed.pk}/", {"notes": "x"}, format="json").status_code == 404
        assert client.post(f"{URL}{sprayed.pk}/complete/", {}, format="json").status_code == 404


def test_list_filters_and_bad_filters(farm, sprayed):
    user, _, base, _ = farm
    log_create(actor=user, base=base, data=harvest("2026-05-10"))
    client = api_as(user)
    assert client.get(URL, {"kind": "harvest"}).json()["count"] == 1
    assert client.get(URL, {"date_from": "2026-05-02"}).json()["count"] == 1
    assert client.get(URL, {"q": "吡虫", "base": base.pk}).json()["count"] == 1
    response = client.get(URL, {"date_from": "May"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_create_a_log(farm):
    user, _, base, product = farm
    response = api_as(user).post(
        URL, _body(base, kind="harvest", quantity="12.5", unit="千克"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["product"] == {"id": product.pk, "name": product.name}
    assert (body["kind"], body["status"], body["quantity"], body["operator"]) == (
        "harvest",
        "done",
        "12.500",
        str(user),
    )


def test_harvest_inside_the_interval_is_a_409(farm, sprayed):
    user, _, base, _ = farm
    response = api_as(user).post(
        URL,
        _body(base, kind="harvest", occurred_at="2026-05-04T10:00:00+08:00"),
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "harvest_within_safety_interval",
        "message": f"基地「{base.name}」于 2026-05-01 使用「吡虫啉」，安全间隔期 7 天，最早可于 2026-05-08 采收。",
    }


def test_a_banned_input_is_a_400(farm):
    load_lists()
    user, _, base, _ = farm
    body = _body(base, **{k: v for k, v in pesticide().items() if k != "occurred_at"})
    body["active_ingredient"] = "克百威"
    response = api_as(user).post(URL, body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "input_banned")
    assert not ProductionLog.objects.exists()


def test_invalid_bodies_are_400_and_write_nothing(farm, tree):
    user, _, base, _ = farm
    _, _, other_base, _ = grower(tree)
    client = api_as(user)
    for body in (
        _body(base, kind="sowing"),
        _body(other_base, kind="harvest"),
        _body(base, kind="harvest", occurred_at="yesterday"),
        _body(base, kind="input", input_category="pesticide", input_name="吡虫啉"),
        _body(base, kind="harvest", quantity="-1", unit="千克"),
    ):
        response = client.post(URL, body, format="json")
        assert response.status_code == 400, (body, response.json())
        assert set(response.json()) >= {"code", "message"}
    assert not ProductionLog.objects.exists()


def test_writers_only(farm, city_admin, lab_user):
    _, _, base, _ = farm
    for user in (city_admin, lab_user):
        response = api_as(user).post(URL, _body(base, kind="harvest"), format="json")
        assert response.status_code in (400, 403)
    response = api_as(city_admin).post(URL, _body(base, kind="harvest"), format="json")
    assert response.json()["code"] == "permission_denied"
    assert api_as().get(URL).status_code == 401


def test_patch_reruns_the_checks(farm, sprayed):
    user, _, base, _ = farm
    picked = log_create(actor=user, base=base, data=harvest("2026-05-10"))
    client = api_as(user)
    response = client.patch(
        f"{URL}{picked.pk}/", {"occurred_at": "2026-05-05T10:00:00+08:00"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (
        409,
        "harvest_within_safety_interval",
    )
    response = client.patch(f"{URL}{picked.pk}/", {"notes": "装箱 50 件"}, format="json")
    assert (response.status_code, response.json()["notes"]) == (200, "装箱 50 件")


def test_complete_a_planned_log(farm):
    user, _, base, _ = farm
    planned = log_create(
        actor=user, base=base, data=harvest("2026-06-20", status=LogStatus.PENDING)
    )
    client = api_as(user)
    response = client.post(f"{URL}{planned.pk}/complete/", {}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "done")
    response = client.post(f"{URL}{planned.pk}/complete/", {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")


def test_a_repeated_idempotency_key_records_once(farm):
    user, _, base, _ = farm
    client = api_as(user)
    body = _body(base, kind="observation", title="巡田")
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="log-1")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="log-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert ProductionLog.objects.count() == 1


def test_the_schema_describes_the_log_endpoints(county_admin):
    schema = api_as(county_admin).get("/api/schema/", {"format": "json"}).json()
    for path in (
        "/api/v1/production-logs/",
        "/api/v1/production-logs/{id}/",
        "/api/v1/production-logs/{id}/complete/",
    ):
        assert path in schema["paths"], path
    assert schema["paths"]["/api/v1/production-logs/"]["post"]["summary"].startswith("记录生产日志")
