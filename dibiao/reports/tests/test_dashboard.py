"""The dashboards (issue 8, item 4): the figures come from the records and move with them, each
red/amber/green has its reason, every figure links to its evidence, and each user sees its own
scope only (a county its product, a city its counties, the province all or a region it picks).

The 2021 program of `dibiao/evaluation/tests/conftest.py` on a clock frozen at 2022-01-15:
清徐葡萄 (county c1a), 阳高京杏 (c1b, the same city c1) and 沁水蜂蜜 (c2a, another city)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from dibiao.accounts.choices import Role
from dibiao.evaluation.choices import Comparison, IndicatorPeriod, IndicatorStatus
from dibiao.evaluation.indicators import BY_CODE, IndicatorValue
from dibiao.evaluation.indicators.base import Evidence
from dibiao.evaluation.tests.conftest import beijing, contract_for, disburse, pay, training
from dibiao.reports.dashboard import (
    Level,
    dashboard_for_user,
    execution_rag,
    indicator_rag,
    year_fraction,
)
from dibiao.testing.factories import producer, user_with_role
from dibiao.trace.models import CounterfeitAlert, Scan
from dibiao.trace.tests.scan_fixtures import authorization, issuance

pytestmark = pytest.mark.django_db


def page(user):
    client = Client()
    client.force_login(user)
    return client


def value(code: str, figure: str | None, target: str, status: IndicatorStatus) -> IndicatorValue:
    return IndicatorValue(
        indicator=BY_CODE[code],
        target=Decimal(target),
        value=None if figure is None else Decimal(figure),
        status=status,
        detail="",
        evidence=Evidence(),
        period_label="",
    )


# --- Red, amber, green ---------------------------------------------------------------------------


def test_the_years_fraction_runs_from_0_to_1():
    assert year_fraction(2021, dt.date(2020, 12, 31)) == 0
    assert year_fraction(2021, dt.date(2021, 12, 31)) == 1
    assert year_fraction(2021, dt.date(2021, 7, 2)) == Decimal(183) / Decimal(365)


@pytest.mark.parametrize(
    ("figure", "status", "fraction", "level", "reason"),
    [
        ("520", IndicatorStatus.MET, Decimal(1), Level.GREEN, "520人次，已达目标≥500人次"),
        ("450", IndicatorStatus.NOT_MET, Decimal(1), Level.AMBER, "完成目标≥500人次的90%"),
        ("100", IndicatorStatus.NOT_MET, Decimal(1), Level.RED, "完成目标≥500人次的20%"),
        # Half-way through the year, 260 person-times keep pace with 500 a year.
        ("260", IndicatorStatus.NOT_MET, Decimal("0.5"), Level.GREEN, "按时序进度应完成的250"),
        ("200", IndicatorStatus.NOT_MET, Decimal("0.5"), Level.RED, "完成目标≥500人次的40%"),
        (None, IndicatorStatus.NO_DATA, Decimal(1), Level.GREY, ""),
    ],
)
def test_a_yearly_figure_against_its_target(figure, status, fraction, level, reason):
    assert BY_CODE["training"].period == IndicatorPeriod.YEAR
    rag = indicator_rag(value("training", figure, "500", status), fraction=fraction)
    assert rag.level == level
    assert reason in rag.reason


def test_a_day_count_under_a_limit_is_amber_within_half_a_month():
    assert BY_CODE["funds_passed_down"].comparison == Comparison.LE
    close = value("funds_passed_down", "44", "30", IndicatorStatus.NOT_MET)
    far = value("funds_passed_down", "46", "30", IndicatorStatus.NOT_MET)
    assert indicator_rag(close, fraction=Decimal(1)).level == Level.AMBER
    assert indicator_rag(far, fraction=Decimal(1)).reason == "46天，超出目标≤30天 16天"
    assert indicator_rag(far, fraction=Decimal(1)).level == Level.RED


def test_funds_execution_is_judged_against_the_years_pace():
    assert execution_rag(Decimal("50"), fraction=Decimal("0.5")).level == Level.GREEN
    behind = execution_rag(Decimal("35"), fraction=Decimal("0.5"))
    assert behind.level == Level.AMBER
    assert behind.reason == "执行率35%，按时序进度应达45.0%，落后10.0个百分点"
    assert execution_rag(Decimal("60"), fraction=Decimal(1)).level == Level.RED


# --- The figures from the records ----------------------------------------------------------------


def test_the_province_dashboard_reads_funds_indicators_and_training_from_the_records(
    clock, program, allocations, province_admin, county_admin, tree, unit
):
    grape = allocations["a"]
    disburse(grape, dt.date(2021, 6, 10))
    contract = contract_for(county_admin, grape, unit)
    keeper = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])
    pay(
        keeper=county_admin,
        reviewer=keeper,
        allocation=grape,
        contract=contract,
        paid_on=dt.date(2021, 6, 20),
        amount="1200000.00",
    )
    pay(
        keeper=county_admin,
        reviewer=keeper,
        allocation=grape,
        contract=contract,
        paid_on=dt.date(2021, 11, 5),
        amount="1500000.00",
    )

    board = dashboard_for_user(user=province_admin, program=program)
    assert board.region is None
    assert board.title == tree["p"].name
    assert [r.allocation.product.name for r in board.rows] == ["沁水蜂蜜", "清徐葡萄", "阳高京杏"]
    grape_row = next(r for r in board.rows if r.allocation == grape)
    assert grape_row.rate == Decimal("90.0")
    assert grape_row.funds.level == Level.GREEN
    months = board.charts["funds_by_month"]
    assert months["months"] == [f"{m}月" for m in range(1, 13)]
    assert months["passed"][5] == 300.0
    assert months["spent"][5] == 120.0
    assert months["spent"][10] == 150.0
    assert months["rates"][-1] == 30.0
    by_product = board.charts["funds_by_product"]
    assert by_product["spent"] == [0.0, 270.0, 0.0]
    assert by_product["urls"][1] == f"/projects/allocations/{grape.pk}/"
    kpis = {k.label: k for k in board.kpis}
    assert kpis["补助资金"].value == "900.00"
    assert kpis["资金执行率"].value == "30.0"
    execution = kpis["资金执行率"].rag
    assert execution is not None
    assert execution.level == Level.RED
    assert "按时序进度应达90.0%" in execution.reason

    # The heat map: every product × every indicator, each cell with its reason and evidence.
    heat = board.charts["heatmap"]
    assert len(heat["cells"]) == 3 * len(heat["indicators"]) == 3 * len(BY_CODE)
    assert all(cell[4] and cell[5].startswith("/evaluation/indicators/") for cell in heat["cells"])

    # Adding a training session raises the person-times, and the cell turns green.
    training_media = board.charts["training_media"]
    assert training_media["training"][1] == 0
    training(grape.product, tree["c1a"], dt.date(2021, 5, 1), 520)
    board = dashboard_for_user(user=province_admin, program=program)
    assert board.charts["training_media"]["training"][1] == 520
    assert "/production/training/" in board.charts["training_media"]["training_urls"][1]
    cell = next(
        c
        for c in board.charts["heatmap"]["cells"]
        if c[1] == 1 and board.charts["heatmap"]["indicators"][c[0]] == BY_CODE["training"].name
    )
    assert Level.ORDER[cell[2]] == Level.GREEN
    assert cell[3] == "520"


def test_trace_activity_counts_the_regions_codes_scans_and_alerts(
    clock, program, allocations, province_admin, city_admin, tree
):
    grape, honey = allocations["a"].product, allocations["c"].product
    qingxu = producer(tree["c1a"], name="清徐县葡萄专业合作社", products=[grape])
    qinshui = producer(tree["c2a"], name="沁水县蜂业合作社", products=[honey])
    issued = issuance(authorization(qingxu, grape, year=2021), 1000, 1999)
    issuance(authorization(qinshui, honey, year=2021), 5000, 5499)
    for serial, day in ((1000, "2022-01-14"), (1001, "2022-01-14"), (5000, "2022-01-14")):
        Scan.objects.create(
            serial=serial,
            key_id=1,
            status="genuine",
            scanned_at=beijing(dt.date.fromisoformat(day)),
        )
    Scan.objects.create(
        serial=1002,
        key_id=1,
        status="unknown",
        mac_failed=True,
        scanned_at=beijing(dt.date(2022, 1, 14)),
    )
    CounterfeitAlert.objects.create(
        kind="too_many_scans", division=tree["c1a"], producer=qingxu, issuance=issued, serial=1000
    )

    province = dashboard_for_user(user=province_admin, program=program).charts["trace"]
    assert province["issued_total"] == 1500
    assert province["scans"][-2] == 3
    assert sum(province["scans"]) == 3
    assert province["alerts_open"] == 1

    # The city of 清徐 and 阳高 sees its own codes and scans only.
    city = dashboard_for_user(user=city_admin, program=program).charts["trace"]
    assert city["issued_total"] == 1000
    assert sum(city["scans"]) == 2
    assert city["alerts_open"] == 1
    assert city["months"][-1] == "2022年1月"
    assert len(city["months"]) == 12


# --- Scope ---------------------------------------------------------------------------------------


def test_each_user_sees_its_own_region_and_may_narrow_it_within_its_scope(
    clock, program, allocations, province_admin, city_admin, county_admin, tree
):
    names = lambda board: [r.allocation.product.name for r in board.rows]  # noqa: E731
    city = dashboard_for_user(user=city_admin, program=program)
    assert city.region == tree["c1"]
    assert names(city) == ["清徐葡萄", "阳高京杏"]
    assert {d.pk for d in city.regions} == {tree["c1"].pk, tree["c1a"].pk, tree["c1b"].pk}
    county = dashboard_for_user(user=county_admin, program=program)
    assert county.region == tree["c1a"]
    assert names(county) == ["清徐葡萄"]

    # The province may narrow to the cities and counties that implement a product.
    province = dashboard_for_user(user=province_admin, program=program)
    implementing = {tree[k].pk for k in ("p", "c1", "c1a", "c1b", "c2", "c2a")}
    assert {d.pk for d in province.regions} == implementing
    narrowed = dashboard_for_user(user=province_admin, program=program, region_id=tree["c2"].pk)
    assert narrowed.title == tree["c2"].name
    assert names(narrowed) == ["沁水蜂蜜"]

    client = page(county_admin)
    response = client.get("/reports/dashboard/", {"program": program.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "清徐葡萄" in html
    assert "沁水蜂蜜" not in html
    assert "阳高京杏" not in html
    assert 'id="dashboard-data"' in html
    assert "vendor/echarts/echarts.min.js" in html
    # Another county (or a region with none of the program's products) is not found.
    other = client.get("/reports/dashboard/", {"program": program.pk, "region": tree["c2a"].pk})
    assert other.status_code == 404
    assert (
        page(city_admin)
        .get("/reports/dashboard/", {"program": program.pk, "region": tree["p"].pk})
        .status_code
        == 404
    )


def test_the_page_shows_each_products_status_with_its_reason(
    clock, program, allocations, province_admin
):
    response = page(province_admin).get("/reports/dashboard/", {"as_of": "2021-12-31"})
    assert response.status_code == 200
    board = response.context["board"]
    assert board.as_of == dt.date(2021, 12, 31)
    html = response.content.decode()
    for row in board.rows:
        assert row.rag.reason in html
        assert row.rag.level in (Level.RED, Level.AMBER, Level.GREEN, Level.GREY)
    # Nothing spent by the year's end: the funds are red. A product's status is its worst
    # indicator, and the reason names the indicators at that level.
    assert all(row.funds.level == Level.RED for row in board.rows)
    for row in board.rows:
        assert row.rag.level == Level.RED
        red = [v.indicator.name for v, rag in row.cells if rag.level == Level.RED]
        assert row.rag.reason.startswith("滞后：")
        assert red[0] in row.rag.reason


def test_a_producer_and_a_visitor_get_no_dashboard(clock, program, lab_user):
    assert page(lab_user).get("/reports/dashboard/").status_code == 403
    assert Client().get("/reports/dashboard/").status_code == 302


def test_no_program_gives_the_empty_state(province_admin):
    response = page(province_admin).get("/reports/dashboard/")
    assert response.status_code == 200
    assert "目前没有已确定实施产品的保护工程" in response.content.decode()


# --- API -----------------------------------------------------------------------------------------


def api_as(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_answers_what_the_page_draws_in_the_callers_scope(
    clock, program, allocations, province_admin, county_admin, tree, lab_user
):
    province = api_as(province_admin).get("/api/v1/dashboard/", {"program": program.pk})
    assert province.status_code == 200
    body = province.json()
    assert body["region"] == tree["p"].name
    assert [p["product"] for p in body["products"]] == ["沁水蜂蜜", "清徐葡萄", "阳高京杏"]
    assert body["products"][0]["rag"]["level"] in ("red", "amber", "green", "grey")
    assert body["products"][0]["rag"]["reason"]
    assert [k["label"] for k in body["kpis"]][:2] == ["补助资金", "资金执行率"]
    assert set(body["charts"]) == {
        "funds_by_product",
        "funds_by_month",
        "heatmap",
        "reporting",
        "trace",
        "training_media",
    }
    assert len(body["charts"]["heatmap"]["cells"]) == 3 * len(BY_CODE)

    county = api_as(county_admin)
    own = county.get("/api/v1/dashboard/", {"program": program.pk, "as_of": "2021-12-31"})
    assert [p["product"] for p in own.json()["products"]] == ["清徐葡萄"]
    assert own.json()["as_of"] == "2021-12-31"
    other = county.get("/api/v1/dashboard/", {"program": program.pk, "region": tree["c2a"].pk})
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [({}, "program"), ({"as_of": "2021-13-01"}, "as_of"), ({"region": "x"}, "region")],
)
def test_the_api_refuses_bad_parameters_with_a_code(clock, program, province_admin, query, field):
    params = {"program": program.pk, **query} if field != "program" else query
    response = api_as(province_admin).get("/api/v1/dashboard/", params)
    assert response.status_code == 400
    assert field in str(response.json())


def test_the_api_is_for_government_users_only(clock, program, lab_user):
    response = api_as(lab_user).get("/api/v1/dashboard/", {"program": program.pk})
    assert response.status_code == 403
