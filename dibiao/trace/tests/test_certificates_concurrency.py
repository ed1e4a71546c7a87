"""Certificates under concurrent writes (PostgreSQL: real parallel connections).

Two certificates that each cover most of a batch arrive at the same moment: the lock on the
batch row makes the second wait and then see the first, so exactly one is issued. Two
certificates of one county at once get two numbers (the county row is locked while a number is
allocated).
"""

from __future__ import annotations

import pytest

from dibiao.core.errors import DomainError
from dibiao.testing.concurrency import run_together
from dibiao.testing.factories import division_tree
from dibiao.trace.models import Batch, ComplianceCertificate
from dibiao.trace.tests.batches_fixtures import farm, harvest, make_batch
from dibiao.trace.tests.certificates_fixtures import issue

ROUNDS = 3

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_certificates_cannot_both_cover_most_of_a_batch() -> None:
    tree = division_tree()
    for _ in range(ROUNDS):
        f = farm(tree["c1a"])
        batch = make_batch(f, harvest(f, quantity="500"))

        def certify(batch: Batch = batch) -> None:
            issue(batch, quantity="300")

        results = run_together(certify, certify)
        errors = [r for r in results if r is not None]
        assert len(errors) == 1, results
        assert isinstance(errors[0], DomainError)
        assert errors[0].code == "quantity_exceeds_remaining"
        assert ComplianceCertificate.objects.filter(batch=batch).count() == 1


def test_certificates_of_one_county_at_once_get_distinct_numbers() -> None:
    tree = division_tree()
    f = farm(tree["c1a"])
    g = farm(tree["c1a"])
    for _ in range(ROUNDS):
        first = make_batch(f, harvest(f))
        second = make_batch(g, harvest(g))

        def certify_first(b: Batch = first) -> None:
            issue(b)

        def certify_second(b: Batch = second) -> None:
            issue(b)

        results = run_together(certify_first, certify_second)
        assert results == [None, None]
    numbers = list(ComplianceCertificate.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) == 2 * ROUNDS
    assert max(numbers).endswith(f"{2 * ROUNDS:06d}")
