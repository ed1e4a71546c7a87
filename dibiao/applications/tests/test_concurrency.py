"""Races that need a real multi-connection database (PostgreSQL in CI)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from dibiao.accounts.choices import Role
from dibiao.applications import services
from dibiao.applications.choices import AssignmentStatus
from dibiao.applications.models import Application, ReviewAssignment
from dibiao.applications.scoring import aggregate
from dibiao.applications.tests.builders import draft, full_scores, recommended
from dibiao.core.errors import DomainError
from dibiao.projects.models import Allocation, Program
from dibiao.testing.factories import ProductFactory, user_with_role


def _race(*calls: Callable[[], object]) -> list[str]:
    """Runs the calls at once, each on its own connection; returns "ok" or the error code."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            call()
            result = "ok"
        except DomainError as exc:
            result = exc.code
        except Exception as exc:  # an unexpected error is the finding: report it
            result = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_drafts_for_one_product_give_one_application(program, product, county_admin):
    outcomes = _race(
        lambda: draft(county_admin, program, product), lambda: draft(county_admin, program, product)
    )
    assert outcomes == ["application_exists", "ok"]
    assert Application.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_score_racing_the_close_is_either_counted_or_refused(
    tree, program, product, county_admin, county_gov, city_admin, province_admin, panel
):
    application = recommended(county_admin, county_gov, city_admin, program, product)
    five = [user_with_role(Role.EXPERT, tree["p"], organization=panel) for _ in range(5)]
    services.review_open(actor=province_admin, program=program, experts=five)
    assignments = {a.expert_id: a for a in ReviewAssignment.objects.all()}
    for expert in five[:3]:
        services.score_submit(
            actor=expert, assignment=assignments[expert.pk], scores=full_scores(application)
        )
    low = full_scores(application, [Decimal(0)] * 5)

    outcomes = _race(
        lambda: services.review_close(actor=province_admin, program=program),
        lambda: services.score_submit(
            actor=five[3], assignment=assignments[five[3].pk], scores=low
        ),
        lambda: services.score_submit(
            actor=five[4], assignment=assignments[five[4].pk], scores=low
        ),
    )

    assert all(o in ("ok", "review_closed") for o in outcomes), outcomes
    application.refresh_from_db()
    submitted = list(
        ReviewAssignment.objects.filter(status=AssignmentStatus.SUBMITTED).values_list(
            "total", flat=True
        )
    )
    # Every score the close did not count was refused, never silently dropped.
    assert application.score == aggregate([t for t in submitted if t is not None], trimmed=False)
    assert application.score_count == len(submitted)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_selections_that_together_exceed_the_budget_cannot_both_pass(
    tree, program, product, county_admin, county_gov, city_admin, province_admin, experts
):
    other_admin = user_with_role(Role.COUNTY_ADMIN, tree["c1b"])
    other_gov = user_with_role(Role.COUNTY_GOV, tree["c1b"])
    first = recommended(county_admin, county_gov, city_admin, program, product)
    second = recommended(
        other_admin,
        other_gov,
        city_admin,
        program,
        ProductFactory.create(name="第二产品", divisions=[tree["c1b"]]),
    )
    services.review_open(actor=province_admin, program=program, experts=experts[:3])
    for assignment in ReviewAssignment.objects.select_related("application", "expert"):
        services.score_submit(
            actor=assignment.expert,
            assignment=assignment,
            scores=full_scores(assignment.application),
        )
    services.review_close(actor=province_admin, program=program)
    Program.objects.filter(pk=program.pk).update(total_budget=Decimal("5000000.00"))

    outcomes = _race(
        *(
            (
                lambda a=a: services.application_decide(
                    actor=province_admin, application=a, selected=True, amount="3000000"
                )
            )
            for a in (first, second)
        )
    )

    assert outcomes == ["ok", "over_budget"]
    assert Allocation.objects.count() == 1
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("3000000.00")
