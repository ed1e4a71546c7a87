"""Reads of scans (扫码记录): the count behind "checked N times, first on …", and the recent
scans of a code for the staff looking into an alert. Scans hold no personal data."""

from __future__ import annotations

from django.db.models import QuerySet

from dibiao.trace import prepared
from dibiao.trace.counterfeit import ScanCounts
from dibiao.trace.models import Scan

RECENT_SCANS = 50


def scan_counts(*, serial: int) -> ScanCounts:
    """How often a code was checked, and when first: one query on the (serial, scanned_at)
    index, compiled once per process (every scan asks)."""
    found = prepared.code_scans(serial)
    return ScanCounts(count=found.count, first_at=found.first_at)


def scans_of_code(*, serial: int, limit: int = RECENT_SCANS) -> QuerySet[Scan]:
    """The latest scans of a code, newest first (not scoped: the caller has already shown that
    the user may see the code's alert)."""
    return Scan.objects.filter(serial=serial).order_by("-scanned_at", "-id")[:limit]
