"""The acceptance check of issue 8 on the demo: every indicator of every demo product has a value
and links to its evidence; the demo's funds follow the plan (most passed on within a month, two
late) and every payment was approved by someone other than its recorder."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.dispatch.models import DispatchReport
from dibiao.evaluation import services
from dibiao.evaluation.choices import IndicatorStatus
from dibiao.evaluation.indicators import CATALOGUE, indicators_compute
from dibiao.evaluation.models import EvaluationScheme
from dibiao.projects.choices import EntryStatus, ImplementationArea
from dibiao.projects.models import FundEntry, Program

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[None]:
    """The demo loaded once for the module, rolled back at its end (as demo/tests does)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            DEMO_PASSWORD_FILE=tmp_path_factory.mktemp("demo") / "demo_password",
            DIBIAO_LEDGER_WITNESS=str(tmp_path_factory.mktemp("ledger") / "witness.jsonl"),
        ),
        pytest.MonkeyPatch.context() as env,
        transaction.atomic(),
    ):
        env.setenv("DIBIAO_DEMO_PASSWORD", "Shanxi-Demo-2021!")
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def program(demo: None, db: None) -> Program:
    return Program.objects.get(year=2021)


def test_every_indicator_of_every_demo_product_has_a_value_and_evidence(program):
    rows = indicators_compute(program=program, items=5)

    assert len(rows) == 12
    empty = []
    for row in rows:
        assert len(row.values) == len(CATALOGUE)
        for value in row.values:
            where = (row.allocation.product.name, value.code)
            assert value.value is not None, where
            assert value.status != IndicatorStatus.NO_DATA, where
            # The records behind the value, or (a count of nothing) the list that shows none.
            assert value.evidence.items or value.evidence.list_url, where
            if value.evidence.count:
                assert value.evidence.items, where
            else:
                empty.append(where)
            assert all(item.url.startswith("/") for item in value.evidence.items), where
    # Zero counts only where the brand demo leaves a product without a video or a national
    # report; everything the other demos record has records behind it.
    brand = {i.code for i in CATALOGUE if i.area == ImplementationArea.BRAND}
    assert {code for _, code in empty} <= brand, empty


def test_the_evidence_links_open_for_the_province(program):
    client = Client()
    client.force_login(User.objects.get(username="province_admin"))
    (row,) = indicators_compute(
        program=program, allocations=[program.allocations.get(product__name="清徐葡萄")], items=1
    )
    for value in row.values:
        for url in [value.evidence.items[0].url, value.evidence.list_url]:
            if url:
                assert client.get(url).status_code == 200, (value.code, url)


def test_the_demo_funds_are_mostly_on_time_and_mostly_spent(program):
    rows = indicators_compute(program=program, codes=["funds_passed_down", "funds_execution"])
    days = [r.get("funds_passed_down") for r in rows]
    late = [d for d in days if d.status == IndicatorStatus.NOT_MET]
    assert 1 <= len(late) <= 3
    rates = [r.get("funds_execution").value for r in rows]
    assert all(rate is not None and Decimal(85) <= rate <= Decimal(98) for rate in rates)
    entries = FundEntry.objects.filter(allocation__program=program)
    assert entries.count() == 36
    assert not entries.exclude(status=EntryStatus.APPROVED).exists()
    assert all(e.reviewed_by_id != e.recorded_by_id for e in entries)


def test_the_demo_monthly_reports_came_in_on_their_historical_dates(program):
    rows = indicators_compute(program=program, codes=["monthly_reports", "annual_summary"])
    monthly = {r.allocation.product.name: r.get("monthly_reports") for r in rows}
    # Every 2021 report was submitted on its date, not on the day the demo was loaded: all on
    # time but July's of 偏关羊肉 and August's of 灵石酸枣仁.
    late = {name: v.value for name, v in monthly.items() if v.value != Decimal(100)}
    assert set(late) == {"偏关羊肉", "灵石酸枣仁"}
    assert all(value is not None and Decimal(90) < value < Decimal(100) for value in late.values())
    assert "迟报 1" in monthly["偏关羊肉"].detail
    assert all(r.get("annual_summary").value == 0 for r in rows)  # days late
    reports = DispatchReport.objects.filter(allocation__program=program)
    assert reports.count() == 12 * 13  # twelve monthly reports and the annual summary each
    assert not reports.filter(submitted_at__year__gt=2022).exists()
    assert reports.filter(submitted_late=True).count() == 2


def test_a_round_on_the_demo_ranks_the_twelve_products(program):
    scheme = EvaluationScheme.objects.get(program=program)
    round_ = services.round_create(
        actor=User.objects.get(username="province_admin"),
        scheme=scheme,
        name="2021年度省级综合评价",
        as_of=timezone.localdate(),
    )
    ranks = list(round_.evaluations.order_by("rank").values_list("rank", flat=True))
    assert len(ranks) == 12
    assert ranks[0] == 1
