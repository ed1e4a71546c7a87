"""Two producers of the same county and the same product: each sees only its own bases, logs,
tests and training, in lists, choosers, exports, pages and the API; the other's is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from dibiao.production.services.logs import log_create
from dibiao.production.services.training import training_create
from dibiao.production.tests.logs_fixtures import api_as, at, client_as, pesticide
from dibiao.production.tests.report_fixtures import Sample, lab_of, record
from dibiao.testing.factories import ProductFactory, producer_user, production_base
from dibiao.testing.responses import xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbours(tree, lab_user):
    """Producers A and B in county c1a growing one product, each with a base, a log, a report
    and a training session it organized."""
    product = ProductFactory.create(divisions=[tree["c1a"]])
    rows: dict[str, Any] = {}
    for key in ("a", "b"):
        login, entry = producer_user(tree["c1a"], name=f"合作社{key.upper()}", products=[product])
        base = production_base(entry, product, name=f"基地{key.upper()}")
        log = log_create(
            actor=login,
            base=base,
            data=pesticide(occurred_at=at("2024-05-01"), input_name=f"药剂{key.upper()}"),
        )
        report = record(
            lab_user,
            Sample(product, entry, login, base),
            lab=lab_of(lab_user),
            number=f"JC-{key.upper()}",
            sample_code=f"YP-{key.upper()}",
        )
        session = training_create(
            actor=login,
            data={
                "product": product,
                "division": tree["c1a"],
                "held_on": dt.date(2024, 3, 1),
                "place": f"地点{key.upper()}",
                "topic": f"主题{key.upper()}",
                "trainer": "李老师",
                "attendee_count": 5,
            },
        )
        rows[key] = {"login": login, "base": base, "log": log, "report": report, "session": session}
    rows["product"] = product
    return rows


def test_a_producer_lists_only_its_own_logs_tests_and_training(neighbours):
    a = neighbours["a"]
    client, api = client_as(a["login"]), api_as(a["login"])
    logs = client.get(reverse("production:log-list")).content.decode()
    assert "药剂A" in logs
    assert "药剂B" not in logs
    assert [r["id"] for r in api.get("/api/v1/production-logs/").json()["results"]] == [a["log"].pk]
    exported = xlsx_rows(client.get(reverse("production:log-export")))
    assert [row[11] for row in exported[1:]] == ["药剂A"]
    reports = client.get(reverse("production:report-list")).content.decode()
    assert "JC-A" in reports
    assert "JC-B" not in reports
    assert [r["id"] for r in api.get("/api/v1/test-reports/").json()["results"]] == [a["report"].pk]
    assert [row[0] for row in xlsx_rows(client.get(reverse("production:report-export")))[1:]] == [
        "JC-A"
    ]
    training = client.get(reverse("production:training-list")).content.decode()
    assert "主题A" in training
    assert "主题B" not in training
    assert [r["id"] for r in api.get("/api/v1/trainings/").json()["results"]] == [a["session"].pk]
    person_times = api.get("/api/v1/trainings/person-times/").json()
    assert [(row["sessions"], row["person_times"]) for row in person_times] == [(1, 5)]


def test_the_other_producers_records_are_a_404(neighbours):
    a, b = neighbours["a"], neighbours["b"]
    client, api = client_as(a["login"]), api_as(a["login"])
    for name, pk in (
        ("production:log-detail", b["log"].pk),
        ("production:log-edit", b["log"].pk),
        ("production:report-detail", b["report"].pk),
        ("production:report-file", b["report"].pk),
        ("production:training-detail", b["session"].pk),
        ("production:training-edit", b["session"].pk),
    ):
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
    for url in (
        f"/api/v1/production-logs/{b['log'].pk}/",
        f"/api/v1/test-reports/{b['report'].pk}/",
        f"/api/v1/test-reports/{b['report'].pk}/file/",
        f"/api/v1/trainings/{b['session'].pk}/",
    ):
        response = api.get(url)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), url
    response = api.patch(f"/api/v1/trainings/{b['session'].pk}/", {"topic": "改"}, format="json")
    assert response.status_code == 404


def test_the_choosers_offer_only_the_producers_own_bases(neighbours):
    a, b = neighbours["a"], neighbours["b"]
    for name in ("production:log-create", "production:log-quick", "production:log-list"):
        html = client_as(a["login"]).get(reverse(name)).content.decode()
        assert "基地A" in html, name
        assert "基地B" not in html, name
    response = api_as(a["login"]).post(
        "/api/v1/production-logs/",
        {"base": b["base"].pk, "kind": "activity", "occurred_at": "2024-05-02T08:00:00+08:00"},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    options = client_as(a["login"]).get(
        reverse("production:report-base-options"),
        {"producer": b["report"].producer_id, "product": neighbours["product"].pk},
    )
    assert "基地B" not in options.content.decode()


def test_the_county_sees_both_and_another_county_neither(neighbours, county_admin, tree):
    other = producer_user(tree["c1b"])[0]
    for user, expected in ((county_admin, 2), (other, 0)):
        api = api_as(user)
        for url in ("/api/v1/production-logs/", "/api/v1/test-reports/", "/api/v1/trainings/"):
            assert api.get(url).json()["count"] == expected, (user, url)
