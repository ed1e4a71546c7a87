"""The evaluation pages for each role: the province sets the scheme, the city runs its round and
scores, the county reads its own result and appeals; another county gets 404s."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dibiao.evaluation import services
from dibiao.evaluation.choices import AppealStatus, ItemMethod, RoundStatus
from dibiao.evaluation.models import Appeal, EvaluationRound, EvaluationScheme, ItemScore
from dibiao.evaluation.tests.conftest import training

pytestmark = pytest.mark.django_db


def page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_indicator_table_and_a_products_evidence(clock, program, allocations, city_admin, tree):
    training(allocations["a"].product, tree["c1a"], dt.date(2021, 5, 1), 520)
    client = page(city_admin)

    table = client.get("/evaluation/indicators/", {"program": program.pk})
    assert table.status_code == 200
    assert [r.allocation.product.name for r in table.context["rows"]] == ["清徐葡萄", "阳高京杏"]
    assert "按标生产培训" in table.content.decode()

    detail = client.get(f"/evaluation/indicators/{allocations['a'].pk}/", {"as_of": "2021-12-31"})
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "/production/training/" in html
    assert "2021年培训 1 期" in html


def test_a_county_sees_its_product_only_and_another_countys_is_a_404(
    clock, program, allocations, county_admin
):
    client = page(county_admin)
    table = client.get("/evaluation/indicators/", {"program": program.pk})
    assert [r.allocation.product.name for r in table.context["rows"]] == ["清徐葡萄"]
    assert client.get(f"/evaluation/indicators/{allocations['c'].pk}/").status_code == 404


def test_a_producer_gets_no_evaluation_pages(clock, program, lab_user):
    assert page(lab_user).get("/evaluation/").status_code == 403


def test_the_flow_through_the_pages(
    clock, program, allocations, province_admin, city_admin, county_admin, other_county_admin
):
    province, city, county = page(province_admin), page(city_admin), page(county_admin)

    made = province.post(f"/evaluation/schemes/default/?program={program.pk}")
    scheme = EvaluationScheme.objects.get()
    assert made["Location"] == f"/evaluation/schemes/{scheme.pk}/"
    assert "资金管理" in province.get(made["Location"]).content.decode()

    form = city.get(f"/evaluation/rounds/new/?scheme={scheme.pk}")
    assert form.status_code == 200
    created = city.post(
        f"/evaluation/rounds/new/?scheme={scheme.pk}", {"name": "市级考评", "as_of": "2021-12-31"}
    )
    round_ = EvaluationRound.objects.get()
    assert created["Location"] == f"/evaluation/rounds/{round_.pk}/"
    assert "得分与排名" in city.get(created["Location"]).content.decode()

    for score in ItemScore.objects.filter(item__method=ItemMethod.MANUAL):
        city.post(f"/evaluation/scores/{score.pk}/", {"points": "8", "comment": "良好"})
    city.post(f"/evaluation/rounds/{round_.pk}/publish/")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED

    own = round_.evaluations.get(allocation__product__name="清徐葡萄")
    result = county.get(f"/evaluation/evaluations/{own.pk}/")
    assert result.status_code == 200
    assert result.context["can_appeal"]
    listing = county.get(f"/evaluation/rounds/{round_.pk}/")
    assert [e.allocation.product.name for e in listing.context["evaluations"]] == ["清徐葡萄"]

    manual = own.scores.get(item__method=ItemMethod.MANUAL)
    county.post(f"/evaluation/scores/{manual.pk}/appeal/", {"reason": "冷库已建成"})
    appeal = Appeal.objects.get()
    city.post(
        f"/evaluation/appeals/{appeal.pk}/decide/",
        {"accept": "1", "points": "9", "decision": "核实属实"},
    )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.points_after) == (AppealStatus.ACCEPTED, 9)
    assert county.get("/evaluation/appeals/").context["object_list"][0] == appeal

    export = city.get(f"/evaluation/rounds/{round_.pk}/export/")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")

    stranger = page(other_county_admin)
    assert stranger.get(f"/evaluation/rounds/{round_.pk}/").status_code == 404
    assert stranger.get(f"/evaluation/evaluations/{own.pk}/").status_code == 404


def test_a_published_round_refuses_scores_on_the_page(
    clock, program, allocations, province_admin, city_admin
):
    scheme = services.scheme_create_default(actor=province_admin, program=program)
    round_ = services.round_create(
        actor=city_admin, scheme=scheme, name="市级考评", as_of=dt.date(2021, 12, 31)
    )
    for score in ItemScore.objects.filter(item__method=ItemMethod.MANUAL):
        services.score_enter(actor=city_admin, score=score, points="8", comment="良好")
    services.round_publish(actor=city_admin, round_=round_)
    score = ItemScore.objects.filter(item__method=ItemMethod.MANUAL).order_by("pk")[0]

    response = page(city_admin).post(
        f"/evaluation/scores/{score.pk}/", {"points": "10", "comment": "改分"}, follow=True
    )

    assert "得分已锁定" in response.content.decode()
    score.refresh_from_db()
    assert score.points == 8


def test_the_province_edits_an_unused_scheme_on_its_page(
    clock, program, allocations, province_admin, city_admin
):
    scheme = services.scheme_create_default(actor=province_admin, program=program)
    client = page(province_admin)
    assert (
        "按默认方案新建"
        in client.get("/evaluation/schemes/", {"program": program.pk}).content.decode()
    )
    form = client.get(f"/evaluation/schemes/{scheme.pk}/edit/")
    assert form.status_code == 200
    data = {
        "name": "精简方案",
        "notes": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "30",
        "items-0-name": "资金管理",
        "items-0-points": "10",
        "items-0-method": "computed",
        "items-0-rule": "funds",
        "items-1-name": "培训",
        "items-1-points": "5",
        "items-1-method": "computed",
        "items-1-rule": "each_met",
        "items-1-indicators": ["training"],
    }
    saved = client.post(f"/evaluation/schemes/{scheme.pk}/edit/", data)
    assert saved.status_code == 302
    scheme.refresh_from_db()
    assert (scheme.name, scheme.items.count()) == ("精简方案", 2)
    assert page(city_admin).get(f"/evaluation/schemes/{scheme.pk}/edit/").status_code == 403


def test_a_bad_item_is_shown_on_the_scheme_page(clock, program, province_admin):
    scheme = services.scheme_create_default(actor=province_admin, program=program)
    data = {
        "name": "方案",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "30",
        "items-0-name": "资金管理",
        "items-0-points": "12",
        "items-0-method": "computed",
        "items-0-rule": "funds",
    }
    response = page(province_admin).post(f"/evaluation/schemes/{scheme.pk}/edit/", data)
    assert response.status_code == 200
    assert "拨付分与执行分之和应等于该项分值" in response.content.decode()
    assert scheme.items.count() == 7
