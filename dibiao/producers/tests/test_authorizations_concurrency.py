"""Races that need a real multi-connection database (PostgreSQL in CI): agreement numbers
allocated by parallel approvals, and parallel duplicate applications."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from dibiao.core.errors import DomainError
from dibiao.producers.models import LabelAuthorization
from dibiao.producers.services import authorizations as services
from dibiao.producers.tests.authorization_fixtures import (  # noqa: F401 (fixtures)
    YEAR,
    applicant,
    applicant_pair,
    applicant_user,
    application_data,
    apply,
    clock,
    holder_org,
    product,
)
from dibiao.testing.factories import producer


def _race(count: int, work: Callable[[int], object]) -> Counter[str]:
    """Run `work(i)` for i in range(count) at once, each on its own connection; count the
    outcomes ("ok" or the refusal's code)."""
    barrier = threading.Barrier(count)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:  # anything else is a defect the assertion will show
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    with ThreadPoolExecutor(max_workers=count) as pool:
        list(pool.map(run, range(count)))
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_get_distinct_consecutive_numbers(tree, product, county_admin):
    pending = []
    for _ in range(12):
        authorization = apply(None, producer(tree["c1a"], products=[product]), product)
        pending.append(
            services.authorization_holder_review(
                actor=None, authorization=authorization, approve=True
            )
        )

    outcomes = _race(
        len(pending),
        lambda i: services.authorization_county_review(
            actor=county_admin, authorization=pending[i], approve=True
        ),
    )
    assert outcomes == Counter({"ok": 12})
    numbers = sorted(LabelAuthorization.objects.values_list("number", flat=True))
    assert numbers == [f"AGI00001-{YEAR}-{n:04d}" for n in range(1, 13)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_duplicate_applications_create_one(applicant_user, applicant, product):
    outcomes = _race(
        8,
        lambda i: services.authorization_apply(
            actor=applicant_user, producer=applicant, product=product, **application_data()
        ),
    )
    assert outcomes == Counter({"ok": 1, "authorization_exists": 7})
    assert LabelAuthorization.objects.count() == 1
