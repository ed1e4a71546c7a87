"""The scoring rules with given figures, and the funds rule end to end on a frozen clock: the
days are counted from the recorded disbursement to the first approved payment (or to the
cut-off date while nothing is paid), the rate from the ledger at the year's end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.evaluation.choices import IndicatorStatus, ScoringRule
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.indicators import indicators_compute
from dibiao.evaluation.rules import FUNDS_DEFAULTS, Figure, apply_rule, check_item, funds_points
from dibiao.evaluation.tests.conftest import contract_for, disburse, pay

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.mark.parametrize(
    ("days", "rate", "points"),
    [
        (D(0), D(100), D(10)),  # on the day, fully spent
        (D(30), D(90), D(10)),  # exactly a month, exactly 90 %
        (D(31), D(90), D(9)),  # one day late: a started half month costs 1
        (D(45), D(90), D(9)),  # 15 days late: one half month
        (D(46), D(90), D(8)),  # 16 days late: two half months
        (D(90), D(90), D(8)),  # 60 days late: 4 half months, floored at 0 of 2
        (D(10), D("89.9"), D(9)),  # 0.1 short: a started 5 points costs 1
        (D(10), D(85), D(9)),  # 5 short
        (D(10), D("84.9"), D(8)),  # 5.1 short
        (D(10), D(60), D(4)),  # 30 short: 6 steps
        (D(10), D(40), D(2)),  # 50 short: 10 steps, floored at 0 of 8
        (D(75), D(0), D(0)),  # both floored: never negative
        (None, D(95), D(8)),  # funds not passed down yet
        (D(5), None, D(2)),  # no execution figure
    ],
)
def test_funds_rule_gives_the_expected_points(days, rate, points):
    assert funds_points(days=days, rate=rate).points == points


def test_funds_rule_parameters_change_the_schedule():
    outcome = funds_points(
        days=D(40), rate=D(80), params={"on_time_points": 4, "execution_points": 6}
    )
    # 10 days late: −1 of 4; 10 short of 90: −2 of 6.
    assert outcome.points == D(7)
    assert "逾期 10 天" in outcome.explanation


def test_each_met_shares_the_points_among_the_indicators():
    figures = {
        "core_base": Figure(D(2), D(1), IndicatorStatus.MET),
        "scale_operator": Figure(D(0), D(1), IndicatorStatus.NOT_MET),
        "farmers_driven": Figure(None, D(500), IndicatorStatus.NO_DATA),
    }
    outcome = apply_rule(
        rule=ScoringRule.EACH_MET, points=D(15), figures=figures, codes=list(figures)
    )
    assert outcome.points == D(5)
    assert "达标 1/3 项" in outcome.explanation


def test_proportional_scales_by_how_far_each_indicator_got():
    figures = {
        "training": Figure(D(250), D(500), IndicatorStatus.NOT_MET),  # half
        "funds_passed_down": Figure(D(60), D(30), IndicatorStatus.NOT_MET),  # ≤ 30: half
        "certificates": Figure(D(3), D(1), IndicatorStatus.MET),  # capped at 1
        "trace_coverage": Figure(None, D(80), IndicatorStatus.NO_DATA),  # nothing
    }
    outcome = apply_rule(
        rule=ScoringRule.PROPORTIONAL, points=D(8), figures=figures, codes=list(figures)
    )
    assert outcome.points == D(4)  # 2 × (0.5 + 0.5 + 1 + 0)


def test_a_funds_item_must_add_up_to_its_points():
    with pytest.raises(EvaluationError) as error:
        check_item(rule=ScoringRule.FUNDS, points=D(12), codes=[], params={})
    assert error.value.code == "invalid_item"
    assert check_item(rule=ScoringRule.FUNDS, points=D(10), codes=[], params={}) == FUNDS_DEFAULTS


def test_an_item_cannot_name_an_unknown_indicator():
    with pytest.raises(EvaluationError) as error:
        check_item(rule=ScoringRule.EACH_MET, points=D(5), codes=["weather"], params={})
    assert error.value.code == "unknown_indicator"


def _funds(program, allocation, as_of=None):
    (row,) = indicators_compute(
        program=program,
        allocations=[allocation],
        as_of=as_of,
        codes=["funds_passed_down", "funds_execution"],
    )
    days, rate = row.get("funds_passed_down"), row.get("funds_execution")
    return days, rate, funds_points(days=days.value, rate=rate.value).points


def test_funds_scored_from_the_records_paid_late_and_short(
    clock, program, allocation, county_admin, city_admin, unit
):
    disburse(allocation, dt.date(2021, 6, 1))
    contract = contract_for(county_admin, allocation, unit)
    # First payment 50 days after the funds arrived (20 late: two half months), 85 % by the
    # year's end (5 short: one step); a payment of 2022 does not count for 2021.
    pay(
        keeper=county_admin,
        reviewer=city_admin,
        allocation=allocation,
        contract=contract,
        paid_on=dt.date(2021, 7, 21),
        amount="1500000.00",
    )
    pay(
        keeper=county_admin,
        reviewer=city_admin,
        allocation=allocation,
        contract=contract,
        paid_on=dt.date(2021, 12, 20),
        amount="1050000.00",
    )
    pay(
        keeper=county_admin,
        reviewer=city_admin,
        allocation=allocation,
        contract=contract,
        paid_on=dt.date(2022, 1, 10),
        amount="300000.00",
    )

    days, rate, points = _funds(program, allocation)

    assert days.value == D(50)
    assert days.status == IndicatorStatus.NOT_MET
    assert rate.value == D("85.0")
    assert points == D(0 + 7)


def test_a_rejected_payment_is_not_a_payment(
    clock, program, allocation, county_admin, city_admin, unit
):
    disburse(allocation, dt.date(2021, 6, 1))
    contract = contract_for(county_admin, allocation, unit)
    pay(
        keeper=county_admin,
        reviewer=city_admin,
        allocation=allocation,
        contract=contract,
        paid_on=dt.date(2021, 6, 10),
        amount="1000000.00",
        approve=False,
    )
    pay(
        keeper=county_admin,
        reviewer=city_admin,
        allocation=allocation,
        contract=contract,
        paid_on=dt.date(2021, 6, 25),
        amount="2790000.00",
    )

    days, rate, points = _funds(program, allocation)

    assert days.value == D(24)
    assert rate.value == D("93.0")
    assert points == D(10)


def test_while_nothing_is_paid_the_days_run_to_the_cut_off_date(clock, program, allocation):
    disburse(allocation, dt.date(2021, 12, 1))

    clock.move_to(dt.date(2021, 12, 20))
    days, _, points = _funds(program, allocation)
    assert (days.value, days.status) == (D(19), IndicatorStatus.MET)
    assert "尚未拨付" in days.detail
    assert points == D(2)  # on time so far, nothing spent

    clock.move_to(dt.date(2022, 1, 20))
    days, _, points = _funds(program, allocation)
    assert days.value == D(50)
    assert points == D(0)


def test_funds_not_passed_down_have_no_value(clock, program, allocation):
    days, rate, points = _funds(program, allocation)

    assert (days.value, days.status) == (None, IndicatorStatus.NO_DATA)
    assert days.detail == "资金尚未下达"
    assert rate.value == D("0.0")
    assert points == D(0)
