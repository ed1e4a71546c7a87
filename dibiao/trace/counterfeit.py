"""Counterfeit signals (防伪预警信号): what one recorded scan says about its code.

Run after every scan, so each check must be cheap when nothing is wrong: a signal that needs a
query only runs it when a cheaper fact already points that way (a code cannot have been seen
from more networks than it has scans), and a signal that already has an open alert for the
code is not looked at again. The thresholds are the province's (`TraceSettings`, one row).

| signal | when | alert goes to |
|---|---|---|
| too_many_scans | more than `max_scans_per_code` scans of a code | the producer's county |
| too_many_networks | from more than `max_networks_per_code` distinct client networks | the producer's county |
| impossible_travel | two scans with a shared location within an hour imply more than `max_speed_kmh` | the producer's county |
| mac_failure | more than `max_mac_failures_per_hour` forged codes from one network within an hour | the province |
| voided_scan | a voided code is scanned | the producer's county |

After an alert is closed, the counting signals start again from the closing time: a code that
the county has looked into is not flagged again by the scans it already knew about.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from dibiao.core.models import Division
from dibiao.trace import prepared
from dibiao.trace.choices import AlertKind, AlertStatus, CodeStatus
from dibiao.trace.lookup import CodeCheck
from dibiao.trace.models import Scan, TraceSettings

SETTINGS_CACHE_KEY = "trace:settings"
SETTINGS_CACHE_SECONDS = 60
ALERT_STATE_SECONDS = 300
TRAVEL_WINDOW = dt.timedelta(hours=1)
MAC_FAILURE_WINDOW = dt.timedelta(hours=1)
# Locations are rounded to 0.1° before they are kept, so two scans in the same town may look
# up to ~15 km apart; below this distance a "speed" says nothing.
MIN_TRAVEL_KM = 30.0
# Seconds: two scans a moment apart would otherwise divide by (almost) zero.
MIN_TRAVEL_SECONDS = 60
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Thresholds:
    """The province's thresholds (`TraceSettings`), as every scan reads them."""

    max_scans_per_code: int
    max_networks_per_code: int
    max_speed_kmh: int
    max_mac_failures_per_hour: int
    scans_per_minute: int
    updated_at: dt.datetime


def trace_settings() -> Thresholds:
    """The thresholds (row pk=1, created on demand), cached briefly: every scan reads them, the
    province changes them a few times a year. Cached as plain values, which the cache reads
    back several times faster than a model instance."""
    current: Thresholds | None = cache.get(SETTINGS_CACHE_KEY)
    if current is None:
        row, _ = TraceSettings.objects.get_or_create(pk=1)
        current = Thresholds(
            max_scans_per_code=row.max_scans_per_code,
            max_networks_per_code=row.max_networks_per_code,
            max_speed_kmh=row.max_speed_kmh,
            max_mac_failures_per_hour=row.max_mac_failures_per_hour,
            scans_per_minute=row.scans_per_minute,
            updated_at=row.updated_at,
        )
        cache.set(SETTINGS_CACHE_KEY, current, SETTINGS_CACHE_SECONDS)
    return current


def forget_trace_settings() -> None:
    cache.delete(SETTINGS_CACHE_KEY)


@dataclass(frozen=True)
class AlertState:
    """The alerts about one code: the kinds open now, when each kind was last closed, and how
    many scans the code had when its last too-many-scans alert was closed."""

    open: frozenset[str] = frozenset()
    closed_at: dict[str, dt.datetime] = field(default_factory=dict)
    scans_at_close: int = 0

    @property
    def suspicious(self) -> bool:
        return bool(self.open)


def _alert_state_key(serial: int) -> str:
    return f"trace:alerts:{serial}"


def alert_state(serial: int) -> AlertState:
    state: AlertState | None = cache.get(_alert_state_key(serial))
    if state is None:
        # Compiled once (`prepared.py`): a code seen for the first time by this process asks.
        rows = prepared.alerts_of_code(serial)
        closed_at = {
            kind: closed
            for kind, status, closed in rows
            if status == AlertStatus.CLOSED and closed is not None
        }
        closed_scans = closed_at.get(AlertKind.TOO_MANY_SCANS)
        state = AlertState(
            open=frozenset(kind for kind, status, _ in rows if status == AlertStatus.OPEN),
            closed_at=closed_at,
            # Scans are never rewritten, so this count stays right while the state is cached.
            scans_at_close=(
                Scan.objects.filter(serial=serial, scanned_at__lte=closed_scans).count()
                if closed_scans is not None
                else 0
            ),
        )
        cache.set(_alert_state_key(serial), state, ALERT_STATE_SECONDS)
    return state


def forget_alert_state(serial: int | None) -> None:
    if serial is not None:
        cache.delete(_alert_state_key(serial))


def deployment_province() -> Division | None:
    """Where alerts that belong to no producer go (forged codes): the province of the
    deployment, i.e. the first top-level province."""
    return Division.objects.filter(level="province", parent__isnull=True).order_by("code").first()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class ScanCounts:
    count: int
    first_at: dt.datetime | None
    new_network: bool = True  # the latest scan came from a network the code had not seen


def _iso(value: dt.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@dataclass(frozen=True)
class Signal:
    kind: str
    evidence: dict[str, object]


def _scans_since(serial: int, since: dt.datetime | None) -> QuerySet[Scan]:
    rows = Scan.objects.filter(serial=serial)
    return rows.filter(scanned_at__gt=since) if since is not None else rows


def _too_many_scans(scan: Scan, counts: ScanCounts, state: AlertState, limit: int) -> Signal | None:
    since = state.closed_at.get(AlertKind.TOO_MANY_SCANS)
    count = counts.count - state.scans_at_close if since is not None else counts.count
    if count <= limit:
        return None
    return Signal(
        AlertKind.TOO_MANY_SCANS,
        {
            "scans": count,
            "threshold": limit,
            "first_at": _iso(counts.first_at if since is None else since),
            "last_at": _iso(scan.scanned_at),
        },
    )


def _too_many_networks(
    scan: Scan, counts: ScanCounts, state: AlertState, limit: int
) -> Signal | None:
    # Only a network new to the code can push it over the limit, and fewer scans than the
    # limit cannot come from more networks: a busy code scanned again from where it was seen
    # before costs nothing here.
    if not counts.new_network or counts.count <= limit or scan.serial is None:
        return None
    since = state.closed_at.get(AlertKind.TOO_MANY_NETWORKS)
    networks = _scans_since(scan.serial, since).exclude(network="").values("network")
    seen = networks.distinct().count()
    if seen <= limit:
        return None
    return Signal(
        AlertKind.TOO_MANY_NETWORKS,
        {
            "networks": seen,
            "scans": counts.count,
            "threshold": limit,
            "first_at": _iso(counts.first_at if since is None else since),
            "last_at": _iso(scan.scanned_at),
        },
    )


def _impossible_travel(scan: Scan, max_speed_kmh: int) -> Signal | None:
    if scan.latitude is None or scan.longitude is None or scan.serial is None:
        return None
    earlier = (
        Scan.objects.filter(
            serial=scan.serial,
            scanned_at__gte=scan.scanned_at - TRAVEL_WINDOW,
            latitude__isnull=False,
            longitude__isnull=False,
        )
        .exclude(pk=scan.pk)
        .order_by("-scanned_at")
        .values_list("latitude", "longitude", "scanned_at")[:50]
    )
    here = (float(scan.latitude), float(scan.longitude))
    worst: tuple[float, float, float, dt.datetime] | None = None  # speed, km, seconds, when
    for lat, lon, when in earlier:
        if lat is None or lon is None:
            continue
        km = haversine_km(float(lat), float(lon), *here)
        if km < MIN_TRAVEL_KM:
            continue
        seconds = max(abs((scan.scanned_at - when).total_seconds()), MIN_TRAVEL_SECONDS)
        speed = km / (seconds / 3600)
        if speed > max_speed_kmh and (worst is None or speed > worst[0]):
            worst = (speed, km, seconds, when)
    if worst is None:
        return None
    speed, km, seconds, when = worst
    return Signal(
        AlertKind.IMPOSSIBLE_TRAVEL,
        {
            "distance_km": round(km, 1),
            "minutes": round(seconds / 60, 1),
            "speed_kmh": round(speed),
            "threshold_kmh": max_speed_kmh,
            "earlier_at": _iso(when),
            "later_at": _iso(scan.scanned_at),
        },
    )


def _mac_failures(scan: Scan, limit: int) -> Signal | None:
    since = scan.scanned_at - MAC_FAILURE_WINDOW
    failures = Scan.objects.filter(
        network=scan.network, scanned_at__gte=since, mac_failed=True
    ).count()
    if failures <= limit:
        return None
    return Signal(
        AlertKind.MAC_FAILURE,
        {
            "network": scan.network,
            "failures_in_hour": failures,
            "threshold": limit,
            "window_start": _iso(since),
            "last_at": _iso(scan.scanned_at),
        },
    )


def signals_for(
    *,
    scan: Scan,
    check: CodeCheck,
    counts: ScanCounts | None,
    state: AlertState | None,
    thresholds: Thresholds,
) -> list[Signal]:
    """The signals this scan raises, leaving out kinds already open for the code."""
    if check.mac_failed:
        signal = _mac_failures(scan, thresholds.max_mac_failures_per_hour)
        return [signal] if signal else []
    if counts is None or state is None or scan.serial is None:
        return []
    if check.status == CodeStatus.VOIDED:
        if AlertKind.VOIDED_SCAN in state.open:
            return []
        segment = check.segment
        evidence: dict[str, object] = {
            "scans": counts.count,
            "first_at": _iso(counts.first_at),
            "last_at": _iso(scan.scanned_at),
        }
        if segment is not None:
            evidence["voided_at"] = _iso(segment.changed_at)
        return [Signal(AlertKind.VOIDED_SCAN, evidence)]
    found: list[Signal | None] = []
    if AlertKind.TOO_MANY_SCANS not in state.open:
        found.append(_too_many_scans(scan, counts, state, thresholds.max_scans_per_code))
    if AlertKind.TOO_MANY_NETWORKS not in state.open:
        found.append(_too_many_networks(scan, counts, state, thresholds.max_networks_per_code))
    if AlertKind.IMPOSSIBLE_TRAVEL not in state.open:
        found.append(_impossible_travel(scan, thresholds.max_speed_kmh))
    return [s for s in found if s is not None]
