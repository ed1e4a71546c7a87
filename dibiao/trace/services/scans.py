"""Scans (扫码): check a code for a consumer, record the scan, run the counterfeit signals, and
return the facts the scan page and the trace API show.

A busy code costs: the rate-limit counter and the thresholds (cache), parse + MAC, one segment
lookup, one count (which also says whether any alert names the code), the scan insert, and the
batch facts (cache). Only a code that an alert names has its alert state read (and cached).
The signals add a query only when a cheaper fact already points their way (see
`counterfeit.py`). Two scans of one code at the same moment may both be told the same count.
"""

from __future__ import annotations

import logging
from typing import Any

from dibiao.producers.models import Producer
from dibiao.trace import prepared
from dibiao.trace.choices import AlertKind, CodeStatus
from dibiao.trace.clients import ClientInfo, rate_limited
from dibiao.trace.counterfeit import (
    AlertState,
    ScanCounts,
    Signal,
    alert_state,
    deployment_province,
    signals_for,
    trace_settings,
)
from dibiao.trace.errors import TraceError
from dibiao.trace.facts import scan_facts, verified_serial
from dibiao.trace.lookup import CodeCheck, check_code
from dibiao.trace.models import Scan
from dibiao.trace.services.alerts import alert_raise

logger = logging.getLogger(__name__)


def scan_record(
    *, check: CodeCheck, client: ClientInfo, via_api: bool, suspicious: bool = False
) -> Scan:
    """One row per check, with nothing personal in it (see `clients.py`). A forged code keeps
    no serial: its serial is whatever the forger chose, and counting it against a genuine
    code would let anyone raise alerts on someone else's label."""
    serial = verified_serial(check)
    status = check.status
    if suspicious and status in (CodeStatus.GENUINE, CodeStatus.NOT_ACTIVATED):
        status = CodeStatus.SUSPICIOUS
    scan = Scan(
        serial=serial,
        key_id=check.parsed.key_id if serial is not None and check.parsed else None,
        status=status,
        mac_failed=check.mac_failed,
        network=client.network,
        agent=client.agent,
        latitude=client.latitude,
        longitude=client.longitude,
        via_api=via_api,
    )
    return prepared.scan_insert(scan)


def _raise(signal: Signal, check: CodeCheck, scan: Scan) -> bool:
    if signal.kind == AlertKind.MAC_FAILURE:
        province = deployment_province()
        if province is None:  # no divisions loaded: nobody to tell
            logger.warning("forged label codes from one network, but no province is loaded")
            return False
        alert_raise(kind=signal.kind, division=province, evidence=signal.evidence)
        return True
    segment = check.segment
    if segment is None:
        return False
    issuance = segment.issuance
    producer = Producer.objects.select_related("division").get(pk=issuance.producer_id)
    alert_raise(
        kind=signal.kind,
        division=producer.division,
        producer=producer,
        issuance=issuance,
        serial=scan.serial,
        evidence=signal.evidence,
    )
    return True


def scan_check(*, text: str, client: ClientInfo, via_api: bool) -> dict[str, Any]:
    """Everything a scan does, for the page and the API alike: 429 `rate_limited` (with the
    seconds to wait) when the client's network is over the province's per-minute limit."""
    thresholds = trace_settings()
    retry_after = rate_limited(client.network, per_minute=thresholds.scans_per_minute)
    if retry_after is not None:
        raise TraceError(
            "rate_limited",
            f"查询过于频繁：同一网络每分钟最多查询 {thresholds.scans_per_minute} 次，"
            f"请 {retry_after} 秒后再试。",
            status=429,
            retry_after=retry_after,
        )
    check = check_code(text)
    serial = verified_serial(check)
    if serial is None:
        scan = scan_record(check=check, client=client, via_api=via_api)
        signals = signals_for(
            scan=scan, check=check, counts=None, state=None, thresholds=thresholds
        )
        for signal in signals:
            _raise(signal, check, scan)
        return scan_facts(check)
    # Counted before this scan is written, with whether any alert names the code: only such a
    # code (few) has its alert state read, and cached; the others' is empty.
    before = prepared.code_scans(serial, client.network)
    state = alert_state(serial) if before.alerted else AlertState()
    scan = scan_record(check=check, client=client, via_api=via_api, suspicious=state.suspicious)
    counts = ScanCounts(
        count=before.count + 1,
        first_at=before.first_at or scan.scanned_at,
        new_network=bool(client.network) and before.from_network == 0,
    )
    raised = {
        signal.kind
        for signal in signals_for(
            scan=scan, check=check, counts=counts, state=state, thresholds=thresholds
        )
        if _raise(signal, check, scan)
    }
    if raised:
        state = AlertState(
            open=state.open | raised,
            closed_at=state.closed_at,
            scans_at_close=state.scans_at_close,
        )
    return scan_facts(check, counts=counts, state=state)
