"""Races that need a real multi-connection database (PostgreSQL in CI): agreement numbers
allocated by parallel approvals, and parallel duplicate applications."""

# The fixtures are imported from authorization_fixtures (pytest loads only conftest.py
# by itself), so every test parameter naming one "redefines" the import.
# ruff: noqa: F811

from __future__ import annotations

from collections import Counter

import pytest

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
from dibiao.testing.concurrency import race
from dibiao.testing.factories import producer


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

    outcomes = race(
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
    outcomes = race(
        8,
        lambda i: services.authorization_apply(
            actor=applicant_user, producer=applicant, product=product, **application_data()
        ),
    )
    assert outcomes == Counter({"ok": 1, "authorization_exists": 7})
    assert LabelAuthorization.objects.count() == 1
