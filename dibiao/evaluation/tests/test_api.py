"""The indicator and evaluation API: scope (another county's row is not listed or is a 404),
coded errors, and the whole flow from a scheme to a decided appeal."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from dibiao.evaluation.tests.conftest import training

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_indicators_list_values_status_and_evidence(
    clock, program, allocations, province_admin, tree
):
    training(allocations["a"].product, tree["c1a"], dt.date(2021, 5, 1), 520)

    body = api(province_admin).get("/api/v1/indicators/", {"program": program.pk}).json()

    assert body["count"] == 3
    grapes = next(r for r in body["results"] if r["product"]["name"] == "清徐葡萄")
    row = next(i for i in grapes["indicators"] if i["code"] == "training")
    assert (row["value"], row["target"], row["status"], row["comparison"]) == (
        "520.00",
        "500.00",
        "met",
        "ge",
    )
    assert row["evidence"]["count"] == 1
    assert row["evidence"]["items"] == []  # counts only on a list page
    assert row["evidence"]["list_url"].startswith("/production/training/?product=")


def test_one_product_carries_its_evidence_records(
    clock, program, allocations, province_admin, tree
):
    session = training(allocations["a"].product, tree["c1a"], dt.date(2021, 5, 1), 520)

    body = (
        api(province_admin)
        .get(
            "/api/v1/indicators/",
            {"program": program.pk, "product": allocations["a"].product_id, "as_of": "2021-12-31"},
        )
        .json()
    )

    (row,) = body["results"]
    training_row = next(i for i in row["indicators"] if i["code"] == "training")
    assert training_row["evidence"]["items"][0]["url"] == f"/production/training/{session.pk}/"
    assert training_row["period_label"] == "2021年"


def test_a_county_lists_only_its_own_product(clock, program, allocations, county_admin):
    client = api(county_admin)
    body = client.get("/api/v1/indicators/", {"program": program.pk}).json()
    assert [r["product"]["name"] for r in body["results"]] == ["清徐葡萄"]
    other = client.get(
        "/api/v1/indicators/", {"program": program.pk, "product": allocations["c"].product_id}
    ).json()
    assert other["count"] == 0


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"program": "abc"}, 400, "invalid"),
        ({"program": 999999}, 404, "not_found"),
        ({"program": "PROGRAM", "as_of": "2021-13-01"}, 400, "invalid"),
        ({"program": "PROGRAM", "as_of": "2020-12-31"}, 400, "invalid"),
    ],
)
def test_indicator_errors_are_coded(clock, program, province_admin, params, status, code):
    query = {k: program.pk if v == "PROGRAM" else v for k, v in params.items()}
    response = api(province_admin).get("/api/v1/indicators/", query)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_a_producer_may_not_read_indicators(clock, program, lab_user):
    response = api(lab_user).get("/api/v1/indicators/", {"program": program.pk})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")


def test_the_catalogue_names_the_programs_targets(clock, program, province_admin):
    body = api(province_admin).get("/api/v1/indicators/catalogue/", {"program": program.pk}).json()
    farmers = next(r for r in body if r["code"] == "farmers_driven")
    assert (farmers["target"], farmers["unit"], farmers["target_code"]) == (
        "500.00",
        "人",
        "farmers_driven",
    )


def test_the_whole_flow_through_the_api(
    clock, program, allocations, province_admin, city_admin, county_admin, other_county_admin, tree
):
    training(allocations["a"].product, tree["c1a"], dt.date(2021, 5, 1), 600)
    province, city, county = api(province_admin), api(city_admin), api(county_admin)

    scheme = province.post("/api/v1/evaluation-schemes/", {"program": program.pk}, format="json")
    assert scheme.status_code == 201
    assert len(scheme.json()["items"]) == 7
    assert (
        city.post("/api/v1/evaluation-schemes/", {"program": program.pk}, format="json").json()[
            "code"
        ]
        == "permission_denied"
    )

    created = city.post(
        "/api/v1/evaluation-rounds/",
        {"scheme": scheme.json()["id"], "name": "市级考评", "as_of": "2021-12-31"},
        format="json",
    )
    assert created.status_code == 201
    round_id = created.json()["id"]
    assert (created.json()["level"], created.json()["evaluation_count"]) == ("city", 2)

    early = city.post(f"/api/v1/evaluation-rounds/{round_id}/publish/")
    assert (early.status_code, early.json()["code"]) == (409, "scores_missing")

    ranking = city.get(f"/api/v1/evaluation-rounds/{round_id}/evaluations/").json()["results"]
    for evaluation in ranking:
        manual = next(s for s in evaluation["scores"] if s["method"] == "manual")
        entered = city.post(
            f"/api/v1/evaluation-scores/{manual['id']}/",
            {"points": "7.5", "comment": "实地查看良好"},
            format="json",
        )
        assert entered.status_code == 200
    assert city.post(f"/api/v1/evaluation-rounds/{round_id}/publish/").json()["status"] == (
        "published"
    )

    # The county sees its own evaluation only, and appeals an item of it.
    own = county.get(f"/api/v1/evaluation-rounds/{round_id}/evaluations/").json()["results"]
    assert [e["product"]["name"] for e in own] == ["清徐葡萄"]
    manual = next(s for s in own[0]["scores"] if s["method"] == "manual")
    locked = city.post(
        f"/api/v1/evaluation-scores/{manual['id']}/", {"points": "9", "comment": "x"}, format="json"
    )
    assert (locked.status_code, locked.json()["code"]) == (409, "round_locked")
    appeal = county.post(
        "/api/v1/evaluation-appeals/",
        {"score": manual["id"], "reason": "冷库已建成"},
        format="json",
    )
    assert appeal.status_code == 201
    again = county.post(
        "/api/v1/evaluation-appeals/", {"score": manual["id"], "reason": "再诉"}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (409, "appeal_pending")
    own_decision = county.post(
        f"/api/v1/evaluation-appeals/{appeal.json()['id']}/decide/",
        {"accept": True, "points": "10", "decision": "自己批准"},
        format="json",
    )
    assert own_decision.status_code == 403

    decided = city.post(
        f"/api/v1/evaluation-appeals/{appeal.json()['id']}/decide/",
        {"accept": True, "points": "9.5", "decision": "核实属实"},
        format="json",
    )
    assert (decided.json()["status"], decided.json()["points_after"]) == ("accepted", "9.50")
    closed = city.post(f"/api/v1/evaluation-rounds/{round_id}/close/")
    assert closed.json()["status"] == "closed"

    # Another county: the round, the evaluation and the appeal are 404s.
    stranger = api(other_county_admin)
    assert stranger.get(f"/api/v1/evaluation-rounds/{round_id}/").status_code == 404
    assert stranger.get(f"/api/v1/evaluations/{own[0]['id']}/").status_code == 404
    assert stranger.get(f"/api/v1/evaluation-appeals/{appeal.json()['id']}/").status_code == 404
    refused = stranger.post(
        "/api/v1/evaluation-appeals/", {"score": manual["id"], "reason": "r"}, format="json"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid")


def test_a_scheme_with_a_bad_item_is_a_coded_400(clock, program, province_admin):
    response = api(province_admin).post(
        "/api/v1/evaluation-schemes/",
        {
            "program": program.pk,
            "name": "方案",
            "items": [{"name": "x", "points": "5", "method": "computed", "rule": "each_met"}],
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_item")
