"""The dashboard in a real browser (headless Chromium through Playwright): every chart is drawn
(ECharts canvases with their series), the county sees its own product only, and clicking a
product's bar opens the records behind it. Skipped without Playwright or Chromium, a failure
in CI (`dibiao.testing.browser`)."""

from __future__ import annotations

import datetime as dt

import pytest

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.core.models import Division
from dibiao.evaluation.tests.conftest import training
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program
from dibiao.projects.services import (
    allocation_create,
    allocation_record_disbursement,
    program_create,
    program_transition,
)
from dibiao.testing.browser import (
    TIMEOUT_MS,
    audit_rows_cleared_before_flush,  # noqa: F401 (a fixture)
    browser_page,
    require_browser,
)
from dibiao.testing.factories import ProductFactory, user_with_role

require_browser("echarts/echarts.min.js")

pytestmark = pytest.mark.django_db(transaction=True)

CHARTS = ("funds_by_product", "funds_by_month", "heatmap", "reporting", "trace", "training_media")


def _program(tree: dict[str, Division], province_admin: User) -> tuple[Program, list[Allocation]]:
    program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2021,
        name="2021年地理标志农产品保护工程",
        total_budget="9000000.00",
        annual_summary_deadline=dt.date(2021, 11, 30),
    )
    for status in (ProgramStatus.OPEN, ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING):
        program = program_transition(actor=province_admin, program=program, status=status)
    grape = ProductFactory.create(name="清徐葡萄", divisions=[tree["c1a"]])
    honey = ProductFactory.create(name="沁水蜂蜜", divisions=[tree["c2a"]])
    allocations = [
        allocation_create(actor=province_admin, program=program, product=p, amount="3000000.00")
        for p in (grape, honey)
    ]
    allocation_record_disbursement(
        actor=None, allocation=allocations[0], disbursed_on=dt.date(2021, 6, 10)
    )
    training(grape, tree["c1a"], dt.date(2021, 5, 1), 520)
    return program, allocations


@pytest.mark.usefixtures("audit_rows_cleared_before_flush")
def test_the_dashboard_draws_every_chart_in_the_users_scope(live_server, tree, province_admin):
    program, (grape, _) = _program(tree, province_admin)
    county = user_with_role(Role.COUNTY_ADMIN, tree["c1a"])

    with browser_page(live_server, province_admin, width=1360) as (page, errors):
        page.goto(f"{live_server.url}/reports/dashboard/?program={program.pk}")
        for name in CHARTS:
            chart = page.locator(f"[data-chart={name}][data-rendered='1'] canvas")
            chart.first.wait_for(timeout=TIMEOUT_MS)
        # Each chart holds its data: ECharts keeps the option on the instance.
        series = page.evaluate(
            """() => Array.from(document.querySelectorAll('[data-chart]')).map(
                (el) => [el.dataset.chart, echarts.getInstanceByDom(el).getOption().series.length])"""
        )
        assert dict(series) == {
            "funds_by_product": 3,
            "funds_by_month": 3,
            "heatmap": 1,
            "reporting": 5,
            "trace": 2,
            "training_media": 3,
        }
        heat = page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('chart-heatmap'))
                .getOption().series[0].data.length"""
        )
        assert heat == 2 * 21
        assert page.locator(".kpi").count() == 6
        assert "沁水蜂蜜" in page.locator("table.product-rag").inner_text()
        assert errors == []

    with browser_page(live_server, county, width=390, height=844) as (page, errors):
        page.goto(f"{live_server.url}/reports/dashboard/?program={program.pk}")
        page.locator("[data-chart=funds_by_product][data-rendered='1']").wait_for()
        products = page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('chart-funds-product'))
                .getOption().xAxis[0].data"""
        )
        assert products == ["清徐葡萄"]
        assert "沁水蜂蜜" not in page.content()
        # A click on the product's bar opens its funds (the allocation and its ledger).
        page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('chart-funds-product'))
                .trigger('click', {dataIndex: 0, seriesIndex: 0})"""
        )
        page.wait_for_url(f"**/projects/allocations/{grape.pk}/", timeout=TIMEOUT_MS)
        assert errors == []
