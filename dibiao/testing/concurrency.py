"""Running service calls at the same moment on separate database connections, for the tests
that prove a lock or a constraint holds under a real race (PostgreSQL; SQLite serialises
writers anyway). One harness for every app's concurrency tests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connection

from dibiao.core.errors import DomainError

BARRIER_TIMEOUT = 30


def run_together(*jobs: Callable[[], Any]) -> list[BaseException | None]:
    """Start every job at once, each on its own thread and connection; the exception each
    raised, or None, in the jobs' order."""
    barrier = threading.Barrier(len(jobs))
    results: list[BaseException | None] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            jobs[index]()
        except BaseException as exc:  # reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=BARRIER_TIMEOUT)
    return results


def race(count: int, work: Callable[[int], object]) -> Counter[str]:
    """Run `work(i)` for i in range(count) at once; count the outcomes: "ok", a refusal's
    code, or the type and text of anything else (a defect the assertion then shows)."""
    outcomes: Counter[str] = Counter()
    for error in run_together(*(lambda i=i: work(i) for i in range(count))):
        if error is None:
            outcomes["ok"] += 1
        elif isinstance(error, DomainError):
            outcomes[error.code] += 1
        else:
            outcomes[f"{type(error).__name__}: {error}"] += 1
    return outcomes
