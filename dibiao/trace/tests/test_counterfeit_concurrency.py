"""Races that need a real multi-connection database (PostgreSQL in CI): many scans of one code
at the same moment must open one alert, not one per scan."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from dibiao.trace.choices import AlertKind
from dibiao.trace.models import CounterfeitAlert
from dibiao.trace.services.alerts import alert_raise
from dibiao.trace.tests import scan_fixtures as fx

WORKERS = 8


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_raises_of_one_signal_open_one_alert(tree):
    world = fx.labels(tree)
    barrier = threading.Barrier(WORKERS)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            alert_raise(
                kind=AlertKind.TOO_MANY_SCANS,
                division=tree["c1a"],
                producer=world.producer,
                issuance=world.issuance,
                serial=1000,
                evidence={"scans": 21 + i},
            )
            outcome = "ok"
        except Exception as exc:  # anything else is a defect the assertion will show
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(run, range(WORKERS)))
    assert outcomes == Counter({"ok": WORKERS})
    [alert] = CounterfeitAlert.objects.filter(kind=AlertKind.TOO_MANY_SCANS, serial=1000)
    assert alert.evidence["repeats"] == WORKERS - 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_scans_past_the_threshold_open_one_alert(tree, live_server):
    import http.client
    from urllib.parse import urlsplit

    world = fx.labels(tree)
    fx.thresholds(max_scans_per_code=2, scans_per_minute=1000)
    barrier = threading.Barrier(WORKERS)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    host = urlsplit(live_server.url)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        conn = http.client.HTTPConnection(host.hostname or "", host.port, timeout=30)
        conn.request("GET", f"/api/v1/trace/{world.genuine}")
        status = conn.getresponse().status
        conn.close()
        with lock:
            statuses[status] += 1

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(run, range(WORKERS)))
    assert statuses == Counter({200: WORKERS})
    assert CounterfeitAlert.objects.filter(kind=AlertKind.TOO_MANY_SCANS).count() == 1
