"""Test reports in the verifiable ledger: a leaf, items included, when a report is recorded,
corrected or regraded; none for a change that changes nothing; and the audit naming a report
whose result or items were changed behind the services' back. Helpers: report_fixtures.py."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from dibiao.ledger import audit
from dibiao.ledger import services as ledger
from dibiao.ledger.models import LedgerLeaf
from dibiao.production import models
from dibiao.production.errors import ProductionError
from dibiao.production.services import grading, test_reports
from dibiao.production.tests.report_fixtures import (
    SAMPLED,
    TESTED,
    criterion,
    grade,
    grape_scheme,
    item,
    lab_of,
    nutrition,
    record,
    sample_in,
)

pytestmark = pytest.mark.django_db

TYPE = "production.test_report"


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def lab(lab_user):
    return lab_of(lab_user)


def _documents(report: models.TestReport) -> list[dict[str, Any]]:
    """The records of the report's leaves, oldest first."""
    return [
        json.loads(bytes(leaf.data))["record"]
        for leaf in LedgerLeaf.objects.filter(record_type=TYPE, record_id=report.pk).order_by("id")
    ]


def _audit_ok() -> bool:
    ledger.integrate()
    return audit.run().ok


# --- What is logged when ------------------------------------------------------------------------


def test_a_recorded_report_is_logged_with_its_result_and_items(lab_user, lab, sample):
    report = record(
        lab_user,
        sample,
        lab=lab,
        number="JC-2024-007",
        sample_code="YP-007",
        items=[
            item("毒死蜱", "0.01", limit_max="0.5", method="GB 23200.8-2016"),
            item("铅", "0.3", limit_max="0.2"),
        ],
    )

    [document] = _documents(report)
    assert document == {
        "kind": "safety",
        "lab": lab.pk,
        "report_number": "JC-2024-007",
        "product": sample.product.pk,
        "producer": sample.producer.pk,
        "base": None,
        "sample_code": "YP-007",
        "batch_code": "",
        "sampled_on": SAMPLED.isoformat(),
        "tested_on": TESTED.isoformat(),
        "result": "fail",
        "grade": None,
        "recorded_by": lab_user.pk,
        "created_at": document["created_at"],
        "items": [
            {
                "category": "safety",
                "name": "毒死蜱",
                "value": "0.0100",
                "unit": "mg/kg",
                "limit_min": None,
                "limit_max": "0.5000",
                "method": "GB 23200.8-2016",
                "passed": True,
            },
            {
                "category": "safety",
                "name": "铅",
                "value": "0.3000",
                "unit": "mg/kg",
                "limit_min": None,
                "limit_max": "0.2000",
                "method": "",
                "passed": False,
            },
        ],
    }
    assert _audit_ok()


def test_a_correction_is_a_new_leaf_and_the_audit_still_agrees(
    province_admin, lab_user, lab, sample
):
    grape_scheme(province_admin, sample.product)
    report = record(
        lab_user, sample, lab=lab, items=[*nutrition("15"), item("铅", "0.5", limit_max="0.2")]
    )

    test_reports.test_report_update(
        actor=lab_user,
        report=report,
        data={"sample_code": "YP-009"},
        items=[*nutrition("18.2", "0.4"), item("铅", "0.05", limit_max="0.2")],
        upload=None,
    )

    first, second = _documents(report)
    assert (first["sample_code"], first["grade"], len(first["items"])) == ("YP-001", None, 2)
    report.refresh_from_db()
    assert (second["sample_code"], second["grade"]) == ("YP-009", report.grade_id)
    assert [(i["name"], i["value"]) for i in second["items"]] == [
        ("可溶性固形物", "18.2000"),
        ("总酸", "0.4000"),
        ("铅", "0.0500"),
    ]
    assert _audit_ok()


def test_a_correction_that_changes_nothing_adds_no_leaf(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)

    test_reports.test_report_update(
        actor=lab_user,
        report=report,
        data={"sample_code": "YP-001"},
        items=[item("毒死蜱", "0.01", limit_max="0.5")],  # the same items sent back
        upload=None,
    )

    assert len(_documents(report)) == 1


def test_a_refused_correction_leaves_no_leaf(lab_user, lab, sample):
    record(lab_user, sample, lab=lab, number="N-1")
    second = record(lab_user, sample, lab=lab, number="N-2")

    with pytest.raises(ProductionError):
        test_reports.test_report_update(
            actor=lab_user, report=second, data={"report_number": "N-1"}, items=None, upload=None
        )

    assert [d["report_number"] for d in _documents(second)] == ["N-2"]


def test_regrading_logs_a_changed_grade_and_only_then(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    grading.test_report_regrade(report=report, actor=lab_user)  # the same scheme: same grade
    assert len(_documents(report)) == 1

    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            grade("特级", 1, criterion("可溶性固形物", min_value="16")),
            grade("一级", 2, criterion("可溶性固形物", min_value="14")),
        ],
    )
    assert _audit_ok()  # a scheme change alone leaves the report as logged
    report = grading.test_report_regrade(report=report, actor=lab_user)

    before, after = _documents(report)
    assert before["grade"] != after["grade"] == report.grade_id
    assert _audit_ok()


def test_a_bulk_regrade_logs_each_regraded_report(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    regraded = record(lab_user, sample, lab=lab, number="R-1", items=nutrition("16.5"))
    kept = record(lab_user, sample, lab=lab, number="R-2", items=nutrition("19", "0.5"))
    grading.grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            grade("特级", 1, criterion("可溶性固形物", min_value="16")),
            grade("一级", 2, criterion("可溶性固形物", min_value="14")),
        ],
    )

    summary = grading.product_reports_regrade(product=sample.product, actor=province_admin)

    assert summary == grading.RegradeSummary(checked=2, changed=1)
    assert (len(_documents(regraded)), len(_documents(kept))) == (2, 1)
    assert _audit_ok()


# --- The audit names a tampered report ------------------------------------------------------------


def _tamper_value(report: models.TestReport) -> None:
    models.TestItem.objects.filter(pk=report.items.get().pk).update(value=Decimal("0.0050"))


def _tamper_result(report: models.TestReport) -> None:
    models.TestReport.objects.filter(pk=report.pk).update(result="pass")


def _tamper_limit(report: models.TestReport) -> None:
    models.TestItem.objects.filter(report=report).update(limit_max=Decimal("1"))


def _delete_item(report: models.TestReport) -> None:
    models.TestItem.objects.filter(report=report).delete()


def _tamper_date(report: models.TestReport) -> None:
    models.TestReport.objects.filter(pk=report.pk).update(tested_on=TESTED - dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("tamper", "field"),
    [
        (_tamper_value, "items"),
        (_tamper_limit, "items"),
        (_delete_item, "items"),
        (_tamper_result, "result"),
        (_tamper_date, "tested_on"),
    ],
)
def test_the_audit_names_a_report_changed_in_the_database(lab_user, lab, sample, tamper, field):
    record(lab_user, sample, lab=lab, number="JC-2024-001")
    report = record(
        lab_user, sample, lab=lab, number="JC-2024-002", items=[item("铅", "0.3", limit_max="0.2")]
    )
    assert _audit_ok()

    tamper(report)

    findings = audit.run().findings
    assert [(f.kind, f.record_type, f.record_id) for f in findings] == [
        ("mismatch", TYPE, report.pk)
    ]
    assert f"检测报告 #{report.pk}（JC-2024-002）" in findings[0].message
    assert f"{field}: 账本" in findings[0].message


def test_ledger_verify_fails_and_names_a_report_whose_result_was_changed(lab_user, lab, sample):
    report = record(
        lab_user, sample, lab=lab, number="JC-2024-031", items=[item("铅", "0.3", limit_max="0.2")]
    )
    ledger.publish_checkpoint()
    out = StringIO()
    call_command("ledger_verify", "--quiet", stdout=out)
    assert "账本与数据库一致" in out.getvalue()

    models.TestItem.objects.filter(report=report).update(value=Decimal("0.1"), passed=True)
    models.TestReport.objects.filter(pk=report.pk).update(result="pass")
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger_verify", "--quiet", stdout=out)

    assert exit_info.value.code == 1
    text = out.getvalue()
    assert f"[mismatch] 检测报告 #{report.pk}（JC-2024-031）" in text
    assert "result: 账本 fail，数据库 pass" in text


def test_a_report_written_around_the_services_is_missing_from_the_ledger(lab_user, lab, sample):
    logged = record(lab_user, sample, lab=lab, number="JC-2024-001")
    forged = models.TestReport.objects.create(
        kind="safety",
        lab=lab,
        report_number="JC-2024-999",
        product=sample.product,
        producer=sample.producer,
        sample_code="YP-999",
        sampled_on=SAMPLED,
        tested_on=TESTED,
        result="pass",
    )
    ledger.integrate()

    findings = audit.run().findings

    assert [(f.kind, f.record_id) for f in findings] == [("missing_leaf", forged.pk)]
    assert logged.pk != forged.pk
    assert f"检测报告 #{forged.pk}（JC-2024-999） 没有记入账本" in findings[0].message
