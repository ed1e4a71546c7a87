"""Schemes, rounds, scores and appeals: who may do what, in which state, and what is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.evaluation import services
from dibiao.evaluation.choices import (
    AppealStatus,
    ItemMethod,
    RoundLevel,
    RoundStatus,
    ScoringRule,
)
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.models import Evaluation, EvaluationRound, EvaluationScheme, ItemScore
from dibiao.evaluation.services import ItemInput
from dibiao.evaluation.tests.conftest import training

pytestmark = pytest.mark.django_db

D = Decimal
ITEMS = (
    ItemInput("培训", 10, ItemMethod.COMPUTED, ScoringRule.EACH_MET, ("training",)),
    ItemInput("实地效果评价", 10, ItemMethod.MANUAL, guidance="实地查看"),
)


@pytest.fixture
def scheme(program, province_admin) -> EvaluationScheme:
    return services.scheme_create(
        actor=province_admin, program=program, name="考评方案", items=ITEMS
    )


@pytest.fixture
def city_round(scheme, allocations, city_admin, tree) -> EvaluationRound:
    training(allocations["a"].product, tree["c1a"], dt.date(2021, 5, 1), 600)
    return services.round_create(
        actor=city_admin, scheme=scheme, name="市级考评", as_of=dt.date(2021, 12, 31)
    )


def _score(round_, product_name, item_name) -> ItemScore:
    return ItemScore.objects.get(
        evaluation__round=round_,
        evaluation__allocation__product__name=product_name,
        item__name=item_name,
    )


def _score_all(round_, actor, points="8") -> None:
    for score in ItemScore.objects.filter(evaluation__round=round_, item__method=ItemMethod.MANUAL):
        services.score_enter(actor=actor, score=score, points=points, comment="基地建设扎实")


@pytest.fixture
def published(city_round, city_admin) -> EvaluationRound:
    _score_all(city_round, city_admin)
    return services.round_publish(actor=city_admin, round_=city_round)


# --- Schemes ---------------------------------------------------------------------------------


def test_the_default_scheme_scores_100_points(program, province_admin):
    scheme = services.scheme_create_default(actor=province_admin, program=program)
    assert sum(item.points for item in scheme.items.all()) == D(100)
    funds = scheme.items.get(name="资金管理")
    assert (funds.rule, funds.points) == (ScoringRule.FUNDS, D(10))
    assert AuditLog.objects.filter(
        object_type="evaluation.evaluationscheme", action="create"
    ).exists()


def test_only_the_province_sets_schemes(program, city_admin):
    with pytest.raises(ForbiddenError):
        services.scheme_create_default(actor=city_admin, program=program)


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (ItemInput("", 5, ItemMethod.MANUAL), "invalid_item"),
        (ItemInput("x", 0, ItemMethod.MANUAL), "invalid_item"),
        (ItemInput("x", "1.234", ItemMethod.MANUAL), "invalid_item"),
        (ItemInput("x", 5, ItemMethod.COMPUTED, ScoringRule.EACH_MET, ()), "invalid_item"),
        (
            ItemInput("x", 5, ItemMethod.COMPUTED, ScoringRule.EACH_MET, ("rain",)),
            "unknown_indicator",
        ),
        (ItemInput("x", 12, ItemMethod.COMPUTED, ScoringRule.FUNDS), "invalid_item"),
        (ItemInput("x", 5, "guess"), "invalid_item"),
    ],
)
def test_a_bad_item_is_refused_with_its_code(program, province_admin, item, code):
    with pytest.raises(EvaluationError) as error:
        services.scheme_create(actor=province_admin, program=program, name="方案", items=[item])
    assert error.value.code == code
    assert not EvaluationScheme.objects.exists()


def test_a_scheme_in_use_cannot_change(city_round, scheme, province_admin):
    with pytest.raises(EvaluationError) as error:
        services.scheme_update(actor=province_admin, scheme=scheme, items=ITEMS[:1])
    assert (error.value.code, error.value.status) == ("scheme_in_use", 409)


def test_an_unused_scheme_can_be_changed_and_is_audited(scheme, province_admin):
    services.scheme_update(actor=province_admin, scheme=scheme, name="新方案", items=ITEMS[:1])
    scheme.refresh_from_db()
    assert (scheme.name, scheme.items.count()) == ("新方案", 1)
    row = AuditLog.objects.get(object_type="evaluation.evaluationscheme", action="update")
    assert row.changes["after"]["name"] == "新方案"


# --- Rounds ------------------------------------------------------------------------------------


def test_a_city_evaluates_its_counties_products_only(city_round):
    names = set(city_round.evaluations.values_list("allocation__product__name", flat=True))
    assert names == {"清徐葡萄", "阳高京杏"}
    assert city_round.level == RoundLevel.CITY


def test_the_province_evaluates_every_product(scheme, allocations, province_admin):
    round_ = services.round_create(
        actor=province_admin, scheme=scheme, name="省级综合评价", as_of=dt.date(2021, 12, 31)
    )
    assert round_.level == RoundLevel.PROVINCE
    assert round_.evaluations.count() == 3


def test_computed_items_come_from_the_indicators_and_manual_ones_wait(city_round):
    trained = _score(city_round, "清徐葡萄", "培训")
    untrained = _score(city_round, "阳高京杏", "培训")
    manual = _score(city_round, "清徐葡萄", "实地效果评价")

    assert trained.points == D(10)
    assert trained.basis["indicators"]["training"]["value"] == "600"
    assert untrained.points == D(0)
    assert manual.points is None
    grapes = city_round.evaluations.get(allocation__product__name="清徐葡萄")
    assert (grapes.total, grapes.rank) == (D(10), 1)


def test_a_county_cannot_run_a_round(scheme, allocations, county_admin):
    with pytest.raises(ForbiddenError):
        services.round_create(
            actor=county_admin, scheme=scheme, name="x", as_of=dt.date(2021, 12, 31)
        )


def test_a_round_needs_a_cut_off_date_within_the_program(scheme, allocations, city_admin):
    with pytest.raises(EvaluationError) as error:
        services.round_create(
            actor=city_admin, scheme=scheme, name="x", as_of=dt.date(2020, 12, 31)
        )
    assert error.value.code == "invalid_round"


@pytest.mark.parametrize(("points", "code"), [("11", "invalid_points"), ("-1", "invalid_points")])
def test_manual_points_stay_within_the_item(city_round, city_admin, points, code):
    score = _score(city_round, "清徐葡萄", "实地效果评价")
    with pytest.raises(EvaluationError) as error:
        services.score_enter(actor=city_admin, score=score, points=points, comment="理由")
    assert error.value.code == code


def test_a_manual_score_needs_its_reason(city_round, city_admin):
    score = _score(city_round, "清徐葡萄", "实地效果评价")
    with pytest.raises(EvaluationError) as error:
        services.score_enter(actor=city_admin, score=score, points="8", comment=" ")
    assert error.value.code == "comment_required"


def test_a_computed_item_is_not_typed_in(city_round, city_admin):
    with pytest.raises(EvaluationError) as error:
        services.score_enter(
            actor=city_admin, score=_score(city_round, "清徐葡萄", "培训"), points="1", comment="x"
        )
    assert (error.value.code, error.value.status) == ("computed_item", 409)


def test_only_the_evaluating_city_scores(
    city_round, province_admin, other_city_admin, county_admin
):
    score = _score(city_round, "清徐葡萄", "实地效果评价")
    # The province sees the round but does not score a city's evaluation; another city does not
    # see it at all; the evaluated county sees it but may not score itself.
    with pytest.raises(ForbiddenError):
        services.score_enter(actor=province_admin, score=score, points="8", comment="x")
    with pytest.raises(NotFoundError):
        services.score_enter(actor=other_city_admin, score=score, points="8", comment="x")
    with pytest.raises(ForbiddenError):
        services.score_enter(actor=county_admin, score=score, points="8", comment="x")


def test_publishing_needs_every_item_scored(city_round, city_admin):
    with pytest.raises(EvaluationError) as error:
        services.round_publish(actor=city_admin, round_=city_round)
    assert (error.value.code, error.value.status) == ("scores_missing", 409)


def test_a_published_round_is_locked_and_audited(published, city_admin):
    assert published.status == RoundStatus.PUBLISHED
    row = AuditLog.objects.get(object_type="evaluation.evaluationround", action="transition")
    assert row.changes["after"]["status"] == "published"
    assert row.changes["after"]["ranking"][0][0] == "清徐葡萄"
    score = _score(published, "清徐葡萄", "实地效果评价")
    with pytest.raises(EvaluationError) as error:
        services.score_enter(actor=city_admin, score=score, points="10", comment="再评")
    assert (error.value.code, error.value.status) == ("round_locked", 409)
    with pytest.raises(EvaluationError):
        services.round_compute(actor=city_admin, round_=published)
    with pytest.raises(EvaluationError):
        services.round_publish(actor=city_admin, round_=published)
    assert _score(published, "清徐葡萄", "实地效果评价").points == D(8)


def test_recomputing_a_draft_keeps_manual_scores_and_reads_new_records(
    city_round, city_admin, allocations, tree
):
    services.score_enter(
        actor=city_admin,
        score=_score(city_round, "阳高京杏", "实地效果评价"),
        points="9",
        comment="好",
    )
    training(allocations["b"].product, tree["c1b"], dt.date(2021, 7, 1), 520)
    services.round_compute(actor=city_admin, round_=city_round)

    assert _score(city_round, "阳高京杏", "培训").points == D(10)
    assert _score(city_round, "阳高京杏", "实地效果评价").points == D(9)
    apricot = city_round.evaluations.get(allocation__product__name="阳高京杏")
    assert (apricot.total, apricot.rank) == (D(19), 1)


# --- Appeals -----------------------------------------------------------------------------------


def test_the_evaluated_county_appeals_and_the_city_accepts(published, county_admin, city_admin):
    score = _score(published, "清徐葡萄", "实地效果评价")
    appeal = services.appeal_file(actor=county_admin, score=score, reason="冷库已建成，见验收单")

    decided = services.appeal_decide(
        actor=city_admin, appeal=appeal, accept=True, decision="核实属实", points="10"
    )

    assert (decided.status, decided.points_before, decided.points_after) == (
        AppealStatus.ACCEPTED,
        D(8),
        D(10),
    )
    score.refresh_from_db()
    assert score.points == D(10)
    grapes = Evaluation.objects.get(round=published, allocation__product__name="清徐葡萄")
    assert grapes.total == D(20)
    assert AuditLog.objects.filter(
        object_type="evaluation.itemscore", action="update", detail__startswith="采纳申诉"
    ).exists()


def test_a_rejected_appeal_keeps_the_points(published, county_admin, city_admin):
    score = _score(published, "清徐葡萄", "实地效果评价")
    appeal = services.appeal_file(actor=county_admin, score=score, reason="分太低")
    decided = services.appeal_decide(
        actor=city_admin, appeal=appeal, accept=False, decision="与实地查看不符"
    )
    assert decided.status == AppealStatus.REJECTED
    score.refresh_from_db()
    assert score.points == D(8)


def test_a_decision_needs_its_reason_and_an_acceptance_its_points(
    published, county_admin, city_admin
):
    appeal = services.appeal_file(
        actor=county_admin, score=_score(published, "清徐葡萄", "实地效果评价"), reason="r"
    )
    with pytest.raises(EvaluationError) as error:
        services.appeal_decide(actor=city_admin, appeal=appeal, accept=False, decision="")
    assert error.value.code == "reason_required"
    with pytest.raises(EvaluationError) as error:
        services.appeal_decide(actor=city_admin, appeal=appeal, accept=True, decision="属实")
    assert error.value.code == "invalid_points"


def test_only_the_evaluated_county_appeals_its_own_score(
    published, county_b_admin, other_county_admin
):
    score = _score(published, "清徐葡萄", "实地效果评价")
    with pytest.raises(NotFoundError):
        services.appeal_file(actor=county_b_admin, score=score, reason="r")
    with pytest.raises(NotFoundError):
        services.appeal_file(actor=other_county_admin, score=score, reason="r")


def test_an_appeal_needs_a_reason_and_only_one_waits_per_item(published, county_admin):
    score = _score(published, "清徐葡萄", "实地效果评价")
    with pytest.raises(EvaluationError) as error:
        services.appeal_file(actor=county_admin, score=score, reason="  ")
    assert error.value.code == "reason_required"
    services.appeal_file(actor=county_admin, score=score, reason="r")
    with pytest.raises(EvaluationError) as error:
        services.appeal_file(actor=county_admin, score=score, reason="r2")
    assert (error.value.code, error.value.status) == ("appeal_pending", 409)


def test_no_appeal_before_publication(city_round, county_admin):
    with pytest.raises(EvaluationError) as error:
        services.appeal_file(
            actor=county_admin, score=_score(city_round, "清徐葡萄", "培训"), reason="r"
        )
    assert (error.value.code, error.value.status) == ("appeal_closed", 409)


def test_the_county_cannot_decide_its_own_appeal(published, county_admin):
    appeal = services.appeal_file(
        actor=county_admin, score=_score(published, "清徐葡萄", "培训"), reason="r"
    )
    with pytest.raises(ForbiddenError):
        services.appeal_decide(
            actor=county_admin, appeal=appeal, accept=True, decision="x", points=10
        )


def test_closing_waits_for_the_appeals_then_ends_them(published, county_admin, city_admin):
    score = _score(published, "清徐葡萄", "培训")
    appeal = services.appeal_file(actor=county_admin, score=score, reason="r")
    with pytest.raises(EvaluationError) as error:
        services.round_close(actor=city_admin, round_=published)
    assert (error.value.code, error.value.status) == ("appeals_pending", 409)

    services.appeal_decide(actor=city_admin, appeal=appeal, accept=False, decision="不予调整")
    closed = services.round_close(actor=city_admin, round_=published)

    assert closed.status == RoundStatus.CLOSED
    with pytest.raises(EvaluationError) as error:
        services.appeal_file(actor=county_admin, score=score, reason="再诉")
    assert error.value.code == "appeal_closed"
    with pytest.raises(EvaluationError) as error:
        services.round_close(actor=city_admin, round_=closed)
    assert error.value.code == "invalid_transition"
