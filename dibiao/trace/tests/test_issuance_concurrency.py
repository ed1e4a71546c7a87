"""Races that need a real multi-connection database (PostgreSQL in CI): parallel issuances get
disjoint serial ranges, parallel issuances under one agreement never pass its quantity, and
parallel binds of overlapping ranges leave one winner and non-overlapping segments."""

# ruff: noqa: F811

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from dibiao.testing.concurrency import race
from dibiao.trace.models import CodeIssuance, CodeSegment, SerialCounter
from dibiao.trace.services import codes as services
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    AUTHORIZED,
    clock,
    label_settings,
    product,
    world,
    world_in,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_issuances_get_disjoint_ranges(tree, product):
    worlds = [world_in(tree["c1a"], product, name=f"合作社{i}") for i in range(8)]
    outcomes = race(
        len(worlds),
        lambda i: services.issuance_create(
            actor=worlds[i].user, authorization=worlds[i].authorization, count=1000 + i
        ),
    )
    assert outcomes == Counter({"ok": 8})
    ranges = sorted(CodeIssuance.objects.values_list("first_serial", "last_serial"))
    assert ranges[0][0] == 1
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert first == last + 1
    assert SerialCounter.objects.get(pk=1).next_serial == ranges[-1][1] + 1
    numbers = set(CodeIssuance.objects.values_list("number", flat=True))
    assert len(numbers) == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_issuances_under_one_agreement_never_pass_its_quantity(world):
    # Each asks for 15,000 of 50,000: three can be served, the others must be refused.
    outcomes = race(
        6,
        lambda i: services.issuance_create(
            actor=world.user, authorization=world.authorization, count=15_000
        ),
    )
    assert outcomes == Counter({"ok": 3, "over_authorized_quantity": 3})
    issued = sum(CodeIssuance.objects.values_list("count", flat=True))
    assert issued == 45_000 <= AUTHORIZED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_overlapping_binds_leave_one_winner(world):
    issuance = world.issue(1000)
    # Every range covers serial 500, so at most one bind can win.
    outcomes = race(
        6,
        lambda i: services.codes_bind(
            actor=world.user,
            issuance=issuance,
            first_serial=450 + i * 10,
            last_serial=500 + i * 10,
            batch=world.batch,
        ),
    )
    assert outcomes == Counter({"ok": 1, "range_conflict": 5})
    rows = list(CodeSegment.objects.filter(issuance=issuance).order_by("first_serial"))
    assert rows[0].first_serial == 1
    assert rows[-1].last_serial == 1000
    for left, right in itertools.pairwise(rows):
        assert left.last_serial + 1 == right.first_serial
    assert sum(r.last_serial - r.first_serial + 1 for r in rows if r.state == "active") == 51
