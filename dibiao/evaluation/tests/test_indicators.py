"""Each indicator from the records that make it up: value, status and evidence, and a changed
record changes the value. The whole table costs the same number of queries for one product or
many (set-based), and the brand counts equal the brand app's selectors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dibiao.brand import selectors as brand
from dibiao.brand.choices import EventLevel, MediaLevel
from dibiao.brand.models import Exhibition, MediaReport, PromoVideo
from dibiao.dispatch.choices import ReportKind
from dibiao.dispatch.models import InspectionVisit
from dibiao.dispatch.services import report_save, report_submit
from dibiao.evaluation.choices import IndicatorStatus
from dibiao.evaluation.indicators import CATALOGUE, indicators_compute, program_targets
from dibiao.evaluation.indicators.base import Context
from dibiao.evaluation.indicators.brand import media_counts
from dibiao.evaluation.tests.conftest import scale_operator, training
from dibiao.producers.choices import AuthorizationStatus, BaseKind, BaseStatus
from dibiao.producers.models import FarmerLink, LabelAuthorization
from dibiao.production import choices as production_choices
from dibiao.production import models as production_models
from dibiao.production.choices import LogKind, LogStatus
from dibiao.production.models import ProductionLog
from dibiao.testing.factories import OrganizationFactory, producer, production_base

pytestmark = pytest.mark.django_db

D = Decimal


def _one(program, allocation, code, **kwargs):
    (row,) = indicators_compute(
        program=program, allocations=[allocation], codes=[code], items=5, **kwargs
    )
    return row.get(code)


def test_the_catalogue_has_the_issues_indicators_with_unique_codes():
    codes = [i.code for i in CATALOGUE]
    assert len(codes) == len(set(codes))
    for required in (
        "core_base",
        "scale_operator",
        "farmers_driven",
        "income_growth",
        "training",
        "quality_test",
        "production_logs",
        "promo_video",
        "national_media",
        "provincial_media_quarter",
        "provincial_media_year",
        "expos",
        "funds_passed_down",
        "funds_execution",
        "monthly_reports",
        "annual_summary",
        "label_use_producers",
        "label_use_codes",
        "certificates",
        "trace_coverage",
        "supervision_visits",
    ):
        assert required in codes


def test_targets_come_from_the_programs_own_targets(program):
    targets = program_targets(program)
    assert targets["farmers_driven"] == D(500)
    assert targets["funds_execution"] == D(90)
    program.targets.filter(code="training").update(value=D(600))
    assert program_targets(program)["training"] == D(600)


def test_adding_a_training_session_raises_person_times(clock, program, allocation, tree):
    product = allocation.product
    training(product, tree["c1a"], dt.date(2021, 4, 8), 300)
    training(product, tree["c1a"], dt.date(2020, 12, 1), 900)  # the year before: not counted
    before = _one(program, allocation, "training")
    assert (before.value, before.status) == (D(300), IndicatorStatus.NOT_MET)
    assert before.evidence.count == 1
    assert "year=2021" in before.evidence.list_url

    session = training(product, tree["c1a"], dt.date(2021, 9, 20), 250)
    after = _one(program, allocation, "training")

    assert (after.value, after.status) == (D(550), IndicatorStatus.MET)
    assert after.evidence.count == 2
    assert after.evidence.items[0].url == f"/production/training/{session.pk}/"


def test_core_bases_and_scale_operators(clock, program, allocation, tree):
    product = allocation.product
    assert _one(program, allocation, "core_base").status == IndicatorStatus.NOT_MET
    operator = scale_operator(product, tree["c1a"])
    production_base(operator, product, kind=BaseKind.BREEDING)
    production_base(operator, product, status=BaseStatus.INACTIVE)  # out of use

    bases = _one(program, allocation, "core_base")
    operators = _one(program, allocation, "scale_operator")

    assert (bases.value, bases.status) == (D(1), IndicatorStatus.MET)
    assert (operators.value, operators.evidence.items[0].url) == (
        D(1),
        f"/producers/{operator.pk}/",
    )


def test_farmers_driven_and_income_growth_use_the_latest_reported_year(
    clock, program, allocation, tree
):
    product = allocation.product
    first = scale_operator(product, tree["c1a"])
    second = producer(tree["c1a"], products=[product])
    for entry, year, people, income in (
        (first, 2020, 300, "10000"),
        (first, 2021, 320, "11200"),
        (second, 2021, 200, "13000"),  # no 2020 row: not in the growth
    ):
        FarmerLink.objects.create(
            producer=entry,
            year=year,
            households=people // 3,
            people=people,
            per_capita_income=D(income),
        )

    driven = _one(program, allocation, "farmers_driven")
    growth = _one(program, allocation, "income_growth")

    assert (driven.value, driven.status) == (D(520), IndicatorStatus.MET)
    assert (growth.value, growth.status) == (D("12.0"), IndicatorStatus.MET)
    assert len(growth.evidence.items) == 2


def test_quality_tests_and_logs_count_in_the_program_period(clock, program, allocation, tree):
    product = allocation.product
    operator = scale_operator(product, tree["c1a"])
    base = production_base(operator, product)
    lab = OrganizationFactory.create(kind="lab", division=tree["p"])
    for number, kind, day in (
        ("R1", production_choices.TestKind.SAFETY, dt.date(2021, 8, 1)),
        ("R2", production_choices.TestKind.NUTRITION, dt.date(2021, 9, 1)),
        ("R0", production_choices.TestKind.SAFETY, dt.date(2020, 9, 1)),  # before the program
    ):
        production_models.TestReport.objects.create(
            kind=kind,
            lab=lab,
            report_number=number,
            product=product,
            producer=operator,
            sample_code=number,
            sampled_on=day,
            tested_on=day,
        )
    for day, status in (
        (dt.date(2021, 5, 3), LogStatus.DONE),
        (dt.date(2021, 6, 3), LogStatus.PENDING),
    ):
        ProductionLog.objects.create(
            kind=LogKind.ACTIVITY,
            occurred_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC),
            base=base,
            product=product,
            title="除草",
            operator="张三",
            status=status,
        )

    tests = _one(program, allocation, "quality_test")
    logs = _one(program, allocation, "production_logs")

    assert tests.value == D(2)
    assert tests.detail == "质量安全检测 1 次，营养品质评价 1 次"
    assert (logs.value, logs.status) == (D(1), IndicatorStatus.MET)


def _report(product, level, day, n=1):
    for i in range(n):
        MediaReport.objects.create(
            product=product,
            outlet="山西日报",
            level=level,
            published_on=day,
            title=f"{level}{day}{i}",
        )


def test_provincial_media_per_quarter_and_year(clock, program, allocation):
    product = allocation.product
    for month in (2, 5, 8):
        _report(product, MediaLevel.PROVINCIAL, dt.date(2021, month, 10))
    _report(product, MediaLevel.NATIONAL, dt.date(2021, 7, 1))

    quarter = _one(program, allocation, "provincial_media_quarter")
    year = _one(program, allocation, "provincial_media_year")
    national = _one(program, allocation, "national_media")

    assert (quarter.value, quarter.status) == (D(0), IndicatorStatus.NOT_MET)
    assert "四季度 0 篇" in quarter.detail
    assert (year.value, year.status) == (D(3), IndicatorStatus.NOT_MET)
    assert (national.value, national.status) == (D(1), IndicatorStatus.MET)

    _report(product, MediaLevel.PROVINCIAL, dt.date(2021, 11, 2))
    assert _one(program, allocation, "provincial_media_quarter").status == IndicatorStatus.MET
    assert _one(program, allocation, "provincial_media_year").status == IndicatorStatus.MET


def test_a_quarter_still_running_is_not_judged(clock, program, allocation):
    _report(allocation.product, MediaLevel.PROVINCIAL, dt.date(2021, 2, 10))
    clock.move_to(dt.date(2021, 5, 20))
    assert _one(program, allocation, "provincial_media_quarter").value == D(1)


def test_videos_and_expos(clock, program, allocation, products):
    product = allocation.product
    PromoVideo.objects.create(
        product=product,
        title="葡萄之乡",
        duration_seconds=300,
        published_on=dt.date(2021, 10, 1),
        platforms="央视频",
    )
    expo = Exhibition.objects.create(
        name="第十九届中国国际农产品交易会",
        level=EventLevel.NATIONAL,
        start_on=dt.date(2021, 11, 26),
        end_on=dt.date(2021, 11, 29),
        place="重庆",
    )
    expo.products.set([product, products["b"]])
    local = Exhibition.objects.create(
        name="县级推介会",
        level=EventLevel.COUNTY,
        start_on=dt.date(2021, 6, 1),
        end_on=dt.date(2021, 6, 1),
        place="清徐",
    )
    local.products.set([product])

    video = _one(program, allocation, "promo_video")
    expos = _one(program, allocation, "expos")

    assert (video.value, video.status) == (D(1), IndicatorStatus.MET)
    assert video.evidence.items[0].url == f"/brand/videos/{PromoVideo.objects.get().pk}/"
    assert (expos.value, [i.url for i in expos.evidence.items]) == (
        D(1),
        [f"/brand/exhibitions/{expo.pk}/"],
    )


def test_grouped_brand_counts_equal_the_brand_selectors(clock, program, allocations, products):
    span_start, span_end = dt.date(2021, 1, 1), dt.date(2021, 12, 31)
    _report(products["a"], MediaLevel.PROVINCIAL, dt.date(2021, 3, 1), n=2)
    _report(products["a"], MediaLevel.PROVINCIAL, dt.date(2022, 1, 2))
    _report(products["b"], MediaLevel.PROVINCIAL, dt.date(2021, 12, 31))
    _report(products["b"], MediaLevel.NATIONAL, dt.date(2021, 12, 31))
    context = Context(program=program, allocations=list(allocations.values()), as_of=span_end)

    from dibiao.evaluation.indicators.base import Span

    grouped = media_counts(context, MediaLevel.PROVINCIAL, Span(span_start, span_end))
    for product in products.values():
        selected = brand.media_reports(
            product=product, level=MediaLevel.PROVINCIAL, start=span_start, end=span_end
        ).count()
        assert grouped.get(product.pk, 0) == selected


def test_monthly_reports_on_time_and_the_annual_summary(clock, program, allocation, county_admin):
    # July's report filed on 3 August (due the 5th), August's on 10 September (late).
    for month, filed in ((7, dt.date(2021, 8, 3)), (8, dt.date(2021, 9, 10))):
        clock.move_to(filed)
        report = report_save(
            actor=county_admin,
            allocation=allocation,
            kind=ReportKind.MONTHLY,
            period_start=dt.date(2021, month, 1),
            data={"summary": "进展顺利"},
        )
        report_submit(actor=county_admin, report=report)
    clock.move_to(dt.date(2021, 11, 28))
    annual = report_save(
        actor=county_admin,
        allocation=allocation,
        kind=ReportKind.ANNUAL,
        period_start=dt.date(2021, 1, 1),
        data={"summary": "全年总结"},
    )
    report_submit(actor=county_admin, report=annual)
    clock.move_to(dt.date(2022, 1, 15))

    monthly = _one(program, allocation, "monthly_reports")
    summary = _one(program, allocation, "annual_summary")

    # 12 months due by 15 January; one on time.
    assert (monthly.value, monthly.status) == (D("8.3"), IndicatorStatus.NOT_MET)
    assert "按时 1，迟报 1，未报或退回 10" in monthly.detail
    assert monthly.evidence.count == 2
    assert (summary.value, summary.status) == (D(0), IndicatorStatus.MET)


def test_an_annual_summary_not_yet_due_has_no_value(clock, program, allocation):
    clock.move_to(dt.date(2021, 10, 1))
    summary = _one(program, allocation, "annual_summary")
    assert (summary.value, summary.status) == (None, IndicatorStatus.NO_DATA)


def test_supervision_visits_count_the_implementing_county(
    clock, program, allocations, city_admin, tree
):
    InspectionVisit.objects.create(
        program=program,
        division=tree["c1a"],
        visited_on=dt.date(2021, 9, 1),
        inspectors="市督导组",
        findings="无",
        recorded_by=city_admin,
    )
    rows = {
        r.allocation.product.name: r.get("supervision_visits")
        for r in indicators_compute(program=program, codes=["supervision_visits"])
    }
    assert rows["清徐葡萄"].value == D(1)
    assert rows["阳高京杏"].value == D(0)


def test_label_use_rates(clock, program, allocation, tree):
    product = allocation.product
    using = scale_operator(product, tree["c1a"])
    producer(tree["c1a"], products=[product])  # produces it, no agreement
    LabelAuthorization.objects.create(
        producer=using,
        product=product,
        year=2021,
        qualifications="-",
        production_plan="-",
        quality_measures="-",
        requested_quantity=1000,
        scope="-",
        status=AuthorizationStatus.APPROVED,
        authorized_quantity=1000,
        valid_from=dt.date(2021, 1, 1),
        valid_until=dt.date(2022, 12, 31),
        number="GI-2021-0001",
    )

    producers_rate = _one(program, allocation, "label_use_producers")
    codes_rate = _one(program, allocation, "label_use_codes")

    assert (producers_rate.value, producers_rate.status) == (D("50.0"), IndicatorStatus.MET)
    assert codes_rate.value == D("0.0")
    assert "授权 1,000 枚" in codes_rate.detail


def test_the_whole_table_costs_the_same_queries_for_one_product_or_many(
    clock, program, allocations, tree
):
    for allocation in allocations.values():
        training(allocation.product, tree["c1a"], dt.date(2021, 5, 1), 100)

    # Warm the URL resolver and the content types first.
    indicators_compute(program=program)
    with CaptureQueriesContext(connection) as one:
        indicators_compute(program=program, allocations=[allocations["a"]])
    with CaptureQueriesContext(connection) as three:
        rows = indicators_compute(program=program)

    assert len(rows) == 3
    assert len(three) == len(one)
    assert all(len(r.values) == len(CATALOGUE) for r in rows)
