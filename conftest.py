"""Test set-up shared by every app.

- Fast password hashing (the real PBKDF2 would dominate the suite's time).
- `postgres`-marked tests run only on PostgreSQL; in CI, when the run is against PostgreSQL
  (DATABASE_URL=postgres...), such a test being skipped is turned into a failure, so a broken
  service can never pass as "skipped".
- Each test gets a fresh cache (the security policy is cached) and a var/ of its own for uploads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings

CI = os.environ.get("CI", "").lower() == "true"
EXPECT_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if EXPECT_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgresql://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    if CI and EXPECT_POSTGRES and report.skipped and "postgres" in item.keywords:
        report.outcome = "failed"
        report.longrepr = "a PostgreSQL test was skipped in a PostgreSQL CI run"


@pytest.fixture(scope="session", autouse=True)
def _ledger_witness_outside_var(tmp_path_factory: Any) -> Iterator[None]:
    """No test, not even a module-scoped fixture, may write the developer's witness file."""
    with override_settings(
        DIBIAO_LEDGER_WITNESS=str(tmp_path_factory.mktemp("ledger") / "witness.jsonl")
    ):
        yield


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Each test its own ledger witness file: a shared one would hold other tests' checkpoints.
    settings.DIBIAO_LEDGER_WITNESS = str(tmp_path / "ledger-witness.jsonl")
    cache.clear()
    yield
    cache.clear()
