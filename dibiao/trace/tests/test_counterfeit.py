"""Counterfeit signals: each raises one alert with its evidence, for the right division, and
repeats of the signal do not open a second alert while the first is open."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine

from dibiao.trace.choices import AlertKind, AlertStatus
from dibiao.trace.clients import agent_family, coarse_location, network_of
from dibiao.trace.counterfeit import haversine_km
from dibiao.trace.models import CounterfeitAlert
from dibiao.trace.services.alerts import alert_close, alert_raise
from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db

TAIYUAN = {"lat": "37.87", "lon": "112.55"}
DATONG = {"lat": "40.08", "lon": "113.30"}  # ~250 km north of Taiyuan
GUANGZHOU = {"lat": "23.13", "lon": "113.26"}  # ~1,650 km south


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(fx.at("2026-10-01", 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(tree):
    return fx.labels(tree)


def scan(client, code: str, ip: str = "203.0.113.5", **params: str):
    response = client.get(f"/api/v1/trace/{code}", params, REMOTE_ADDR=ip)
    assert response.status_code == 200, response.content
    return response.json()


def alerts(kind: str) -> list[CounterfeitAlert]:
    return list(CounterfeitAlert.objects.filter(kind=kind))


# --- Too many scans -----------------------------------------------------------------------------


def test_a_code_checked_more_than_the_threshold_raises_one_alert(client, world, tree):
    fx.thresholds(max_scans_per_code=3)
    for _ in range(3):
        assert scan(client, world.genuine)["status"] == "genuine"
    assert alerts(AlertKind.TOO_MANY_SCANS) == []
    assert scan(client, world.genuine)["status"] == "suspicious"
    [alert] = alerts(AlertKind.TOO_MANY_SCANS)
    assert alert.division == tree["c1a"]
    assert alert.producer == world.producer
    assert alert.issuance == world.issuance
    assert alert.serial == 1000
    assert alert.status == AlertStatus.OPEN
    assert alert.evidence["scans"] == 4
    assert alert.evidence["threshold"] == 3
    assert alert.evidence["first_at"] == "2026-10-01T09:00:00+08:00"
    for _ in range(3):
        assert scan(client, world.genuine)["status"] == "suspicious"
    assert len(alerts(AlertKind.TOO_MANY_SCANS)) == 1


def test_after_closing_only_new_scans_count_towards_a_new_alert(
    client, world, county_admin, frozen
):
    fx.thresholds(max_scans_per_code=3)
    for _ in range(4):
        scan(client, world.genuine)
    [alert] = alerts(AlertKind.TOO_MANY_SCANS)
    frozen.move_to(fx.at("2026-10-01", 10, 0), tick=False)
    alert_close(actor=county_admin, alert=alert, note="经销商展柜样品，已核实")
    frozen.move_to(fx.at("2026-10-01", 10, 5), tick=False)
    for _ in range(3):
        assert scan(client, world.genuine)["status"] == "genuine"
    assert len(alerts(AlertKind.TOO_MANY_SCANS)) == 1
    assert scan(client, world.genuine)["status"] == "suspicious"
    new = CounterfeitAlert.objects.filter(kind=AlertKind.TOO_MANY_SCANS, status="open").get()
    assert new.pk != alert.pk
    assert new.evidence["scans"] == 4


# --- Too many networks --------------------------------------------------------------------------


def test_a_code_checked_from_too_many_networks_raises_one_alert(client, world):
    fx.thresholds(max_networks_per_code=2, max_scans_per_code=100)
    scan(client, world.genuine, "198.51.100.1")
    scan(client, world.genuine, "198.51.100.200")  # the same /24: one network
    scan(client, world.genuine, "198.51.101.1")
    assert alerts(AlertKind.TOO_MANY_NETWORKS) == []
    assert scan(client, world.genuine, "2001:db8:1::1")["status"] == "suspicious"
    [alert] = alerts(AlertKind.TOO_MANY_NETWORKS)
    assert alert.evidence["networks"] == 3
    assert alert.evidence["scans"] == 4
    scan(client, world.genuine, "2001:db8:2::1")
    assert len(alerts(AlertKind.TOO_MANY_NETWORKS)) == 1


# --- Impossible travel --------------------------------------------------------------------------


def test_two_located_scans_too_far_apart_within_an_hour_raise_one_alert(client, world, frozen):
    scan(client, world.genuine, **TAIYUAN)
    frozen.move_to(fx.at("2026-10-01", 9, 20), tick=False)
    assert scan(client, world.genuine, **GUANGZHOU)["status"] == "suspicious"
    [alert] = alerts(AlertKind.IMPOSSIBLE_TRAVEL)
    assert 1550 < alert.evidence["distance_km"] < 1750
    assert alert.evidence["minutes"] == 20.0
    assert alert.evidence["speed_kmh"] > 4000
    assert alert.evidence["threshold_kmh"] == 300
    frozen.move_to(fx.at("2026-10-01", 9, 25), tick=False)
    scan(client, world.genuine, **TAIYUAN)
    assert len(alerts(AlertKind.IMPOSSIBLE_TRAVEL)) == 1
    assert "37.9" not in str(alert.evidence)
    assert "112.5" not in str(alert.evidence)


def test_a_plausible_journey_or_an_old_scan_raises_nothing(client, world, frozen):
    scan(client, world.genuine, **TAIYUAN)
    frozen.move_to(fx.at("2026-10-01", 10, 30), tick=False)  # 250 km in 90 min: a car
    scan(client, world.genuine, **DATONG)
    frozen.move_to(fx.at("2026-10-01", 12, 0), tick=False)  # 1,650 km, but over an hour later
    scan(client, world.genuine, **GUANGZHOU)
    frozen.move_to(fx.at("2026-10-01", 12, 1), tick=False)
    scan(client, world.genuine)  # no location shared
    assert alerts(AlertKind.IMPOSSIBLE_TRAVEL) == []


def test_two_scans_in_the_same_town_are_not_a_journey(client, world, frozen):
    scan(client, world.genuine, lat="37.84", lon="112.56")
    frozen.move_to(fx.at("2026-10-01", 9, 0).replace(second=30), tick=False)
    scan(client, world.genuine, lat="37.96", lon="112.44")
    assert alerts(AlertKind.IMPOSSIBLE_TRAVEL) == []


# --- Forged codes ---------------------------------------------------------------------------------


def test_many_forged_codes_from_one_network_alert_the_province(client, world, tree, frozen):
    fx.thresholds(max_mac_failures_per_hour=3)
    for serial in range(5000, 5003):
        assert scan(client, fx.forged(serial), "192.0.2.10")["status"] == "unknown"
    assert alerts(AlertKind.MAC_FAILURE) == []
    scan(client, fx.forged(5003), "192.0.2.99")
    [alert] = alerts(AlertKind.MAC_FAILURE)
    assert alert.division == tree["p"]
    assert alert.producer is None
    assert alert.serial is None
    assert alert.evidence["failures_in_hour"] == 4
    assert alert.evidence["network"] == network_of("192.0.2.10")
    scan(client, fx.forged(5004), "192.0.2.10")
    assert len(alerts(AlertKind.MAC_FAILURE)) == 1
    alert.refresh_from_db()
    assert alert.evidence["failures_in_hour"] == 5
    assert alert.evidence["repeats"] == 1
    # Another network has its own count; a typo (bad check character) is not a forgery.
    for _ in range(4):
        scan(client, fx.one_char_changed(world.genuine), "192.0.3.1")
    assert len(alerts(AlertKind.MAC_FAILURE)) == 1


def test_forged_codes_spread_over_more_than_an_hour_raise_nothing(client, world, frozen):
    fx.thresholds(max_mac_failures_per_hour=3)
    for minute in (0, 25, 50):
        frozen.move_to(fx.at("2026-10-01", 9, minute), tick=False)
        scan(client, fx.forged(6000 + minute), "192.0.2.10")
    frozen.move_to(fx.at("2026-10-01", 10, 10), tick=False)
    scan(client, fx.forged(7000), "192.0.2.10")
    assert alerts(AlertKind.MAC_FAILURE) == []


# --- Voided codes ---------------------------------------------------------------------------------


def test_a_scan_of_a_voided_code_raises_one_alert_and_the_code_stays_voided(client, world, tree):
    assert scan(client, world.voided)["status"] == "voided"
    [alert] = alerts(AlertKind.VOIDED_SCAN)
    assert alert.division == tree["c1a"]
    assert alert.serial == 1800
    assert alert.evidence["scans"] == 1
    assert alert.evidence["voided_at"]
    assert scan(client, world.voided)["status"] == "voided"
    assert len(alerts(AlertKind.VOIDED_SCAN)) == 1
    scan(client, world.code(1801))
    assert len(alerts(AlertKind.VOIDED_SCAN)) == 2  # one per code


# --- alert_raise ----------------------------------------------------------------------------------


def test_alert_raise_refreshes_the_open_alert_of_the_same_kind_and_code(world, tree):
    first = alert_raise(
        kind=AlertKind.TOO_MANY_SCANS,
        division=tree["c1a"],
        producer=world.producer,
        issuance=world.issuance,
        serial=1000,
        evidence={"scans": 21},
    )
    again = alert_raise(
        kind=AlertKind.TOO_MANY_SCANS,
        division=tree["c1a"],
        producer=world.producer,
        issuance=world.issuance,
        serial=1000,
        evidence={"scans": 25},
    )
    assert again.pk == first.pk
    assert again.evidence == {"scans": 25, "repeats": 1}
    other_kind = alert_raise(
        kind=AlertKind.TOO_MANY_NETWORKS,
        division=tree["c1a"],
        serial=1000,
        evidence={"networks": 6},
    )
    other_code = alert_raise(
        kind=AlertKind.TOO_MANY_SCANS, division=tree["c1a"], serial=1001, evidence={}
    )
    assert len({first.pk, other_kind.pk, other_code.pk}) == 3


def test_alert_raise_refuses_an_unknown_kind(tree):
    from dibiao.trace.errors import TraceError

    with pytest.raises(TraceError) as raised:
        alert_raise(kind="martian", division=tree["p"], evidence={})
    assert raised.value.code == "invalid_alert_kind"
    assert not CounterfeitAlert.objects.exists()


def test_raising_an_alert_is_audited_as_a_system_action(world, tree):
    from dibiao.core.models import AuditLog

    alert = alert_raise(kind=AlertKind.VOIDED_SCAN, division=tree["c1a"], serial=1800, evidence={})
    row = AuditLog.objects.get(object_type="trace.counterfeitalert", object_id=str(alert.pk))
    assert row.user_id is None
    assert row.action == "create"


# --- Client facts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) MicroMessenger/8.0.44", "wechat"),
        ("Mozilla/5.0 (Linux; Android 12) AlipayClient/10.5.0", "alipay"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile", "android"),
        ("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) Safari/604.1", "ios"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120", "desktop"),
        ("curl/8.4.0", "other"),
        ("", "other"),
    ],
)
def test_agent_families(agent, family):
    assert agent_family(agent) == family


def test_networks_hash_the_prefix_not_the_address(settings):
    assert network_of("203.0.113.5") == network_of("203.0.113.250")
    assert network_of("203.0.113.5") != network_of("203.0.114.5")
    assert network_of("2001:db8:1:2::1") == network_of("2001:db8:1:ffff::9")
    assert network_of("2001:db8:1::1") != network_of("2001:db8:2::1")
    assert network_of("::ffff:203.0.113.9") == network_of("203.0.113.5")
    assert network_of(None) == ""
    assert network_of("not an ip") == ""
    before = network_of("203.0.113.5")
    settings.SECRET_KEY = "another deployment's secret key, long enough to be one"
    assert network_of("203.0.113.5") != before  # keyed: not a plain hash of the prefix


def test_locations_are_rounded_to_a_tenth_of_a_degree_or_dropped():
    assert coarse_location("37.86944", "112.54861") == (Decimal("37.9"), Decimal("112.5"))
    assert str(coarse_location("-0.04", "0.04")[0]) == "-0.0"
    for lat, lon in (
        ("91", "0"),
        ("0", "181"),
        ("nan", "1"),
        ("inf", "1"),
        ("1", None),
        ("x", "y"),
    ):
        assert coarse_location(lat, lon) == (None, None)


def test_haversine_distance_taiyuan_guangzhou():
    assert haversine_km(37.87, 112.55, 23.13, 113.26) == pytest.approx(1640, rel=0.02)
