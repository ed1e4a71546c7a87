"""What production writes to the verifiable ledger (dibiao/ledger): each test report with its
items, when recorded, corrected or regraded.

The result (pass/fail, each item's `passed`) and the grade are derived, but they are what a
report says to a buyer, and only `test_report_create`, `test_report_update` and the regrading
services change them, each logging. Left out: the notes (free text, and the log's entries are
public) and the PDF's storage name (the log could not vouch for the file's content anyway)."""

from __future__ import annotations

from django.db.models import Q

from dibiao.ledger.types import Child, SnapshotType, register
from dibiao.production.models import TestItem, TestReport

TEST_REPORT = register(
    SnapshotType(
        name="production.test_report",
        version=1,
        model=TestReport,
        label="检测报告",
        fields=(
            "kind",
            "lab",
            "report_number",
            "product",
            "producer",
            "base",
            "sample_code",
            "batch_code",
            "sampled_on",
            "tested_on",
            "result",
            "grade",
            "recorded_by",
            "created_at",
        ),
        children=(
            Child(
                key="items",
                model=TestItem,
                parent_field="report",
                fields=(
                    "category",
                    "name",
                    "value",
                    "unit",
                    "limit_min",
                    "limit_max",
                    "method",
                    "passed",
                ),
            ),
        ),
        # A report has no draft state: every report recorded counts.
        logged=Q(),
    )
)
