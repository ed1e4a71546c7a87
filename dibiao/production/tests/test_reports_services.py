"""Test reports: derivation of pass/fail and grade, recording rules, correction, the failed
sample checks for traceability, scope. Helpers: report_fixtures.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.core.uploads import UploadError
from dibiao.production import models, selectors
from dibiao.production.errors import ProductionError
from dibiao.production.services import test_reports
from dibiao.production.tests.report_fixtures import (
    TODAY,
    grade_name,
    grape_scheme,
    item,
    lab_of,
    new_lab,
    nutrition,
    record,
    sample_in,
)
from dibiao.testing.factories import (
    ProductFactory,
    division_tree,
    production_base,
    user_with_role,
)
from dibiao.testing.files import HTML, pdf_upload, png_upload, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def lab(lab_user):
    return lab_of(lab_user)


def _codes(exc_info) -> str:
    return exc_info.value.code


# --- Derivation ----------------------------------------------------------------------------------


def test_value_at_a_limit_passes_over_the_max_fails_and_no_limit_passes(lab_user, lab, sample):
    report = record(
        lab_user,
        sample,
        lab=lab,
        items=[
            item("毒死蜱", "0.5", limit_max="0.5"),
            item("糖度", "18", limit_min="18", category="nutrition", unit="%"),
            item("铅", "0.2001", limit_max="0.2"),
            item("单果重", "8.5", unit="g", category="sensory"),
            item("维生素C", "3.9", limit_min="4", unit="mg/100g", category="nutrition"),
        ],
    )
    passed = dict(report.items.values_list("name", "passed"))
    assert passed == {"毒死蜱": True, "糖度": True, "铅": False, "单果重": True, "维生素C": False}
    assert report.result == "fail"


def test_a_report_whose_items_are_within_limits_passes(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab, items=[item("毒死蜱", "0.01", limit_max="0.5")])
    assert report.result == "pass"
    assert report.items.get().passed is True


def test_a_failing_item_fails_the_report_and_marks_its_sample_for_traceability(
    lab_user, lab, sample
):
    record(lab_user, sample, lab=lab, number="A-1", sample_code="YP-OK")
    record(
        lab_user,
        sample,
        lab=lab,
        number="A-2",
        sample_code="YP-BAD",
        batch_code="PC-2024-07",
        items=[item("毒死蜱", "0.9", limit_max="0.5")],
    )

    codes = selectors.failed_sample_codes(producer=sample.producer, product=sample.product)

    assert codes == {"YP-BAD"}
    assert selectors.sample_has_failed_test(producer=sample.producer, sample_code="YP-BAD")
    assert selectors.sample_has_failed_test(producer=sample.producer, batch_code="PC-2024-07")
    assert not selectors.sample_has_failed_test(producer=sample.producer, sample_code="YP-OK")
    assert not selectors.sample_has_failed_test(producer=sample.producer, batch_code="")


def test_failed_sample_checks_are_per_producer(tree, lab_user, lab, sample):
    other = sample_in(tree["c1b"], product=sample.product)
    record(lab_user, sample, lab=lab, items=[item("铅", "1", limit_max="0.2")])

    assert selectors.failed_sample_codes(producer=other.producer, product=sample.product) == set()
    assert not selectors.sample_has_failed_test(producer=other.producer, sample_code="YP-001")


def test_failed_sample_check_needs_a_code():
    with pytest.raises(ValueError, match="sample_code or a batch_code"):
        selectors.sample_has_failed_test(producer=None)  # type: ignore[arg-type]


def test_grade_is_the_best_one_whose_every_criterion_is_met(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)

    top = record(lab_user, sample, lab=lab, number="G-1", items=nutrition("18.5", "0.5"))
    sour = record(lab_user, sample, lab=lab, number="G-2", items=nutrition("18.5", "0.8"))
    low = record(lab_user, sample, lab=lab, number="G-3", items=nutrition("15"))
    none = record(lab_user, sample, lab=lab, number="G-4", items=nutrition("12"))

    assert grade_name(top) == "特级"
    assert grade_name(sour) == "一级"  # 总酸 over 特级's maximum
    assert grade_name(low) == "二级"
    assert none.grade is None


def test_a_criterion_whose_item_is_missing_is_not_met(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)

    report = record(lab_user, sample, lab=lab, items=nutrition("19"))  # no 总酸 measured

    assert grade_name(report) == "一级"


def test_a_criterion_with_a_unit_needs_the_same_unit(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)

    report = record(
        lab_user,
        sample,
        lab=lab,
        items=[item("可溶性固形物", "19", unit="°Bx", category="nutrition")],
    )

    assert report.grade is None


def test_item_names_match_the_criteria_ignoring_case_and_spaces(
    province_admin, lab_user, lab, sample
):
    from dibiao.production.services.grading import grading_scheme_replace

    grading_scheme_replace(
        actor=province_admin,
        product=sample.product,
        grades=[
            {"name": "优级", "rank": 1, "criteria": [{"item_name": "Vc", "min_value": "4"}]},
        ],
    )
    report = record(
        lab_user, sample, lab=lab, items=[item(" VC ", "5", unit="mg/100g", category="nutrition")]
    )
    assert grade_name(report) == "优级"


def test_a_failed_report_earns_no_grade(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)

    report = record(
        lab_user,
        sample,
        lab=lab,
        items=[*nutrition("19", "0.5"), item("毒死蜱", "0.9", limit_max="0.5")],
    )

    assert report.result == "fail"
    assert report.grade is None


# --- Recording rules ------------------------------------------------------------------------------


def test_a_lab_records_a_report_with_its_pdf_and_the_creation_is_audited(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab, base=sample.base, upload=pdf_upload("检测报告.pdf"))

    assert report.lab == lab
    assert report.recorded_by == lab_user
    assert report.base == sample.base
    assert str(report.file.name).startswith("production/tests/")
    assert str(report.file.name).endswith(".pdf")
    log = AuditLog.objects.get(action=AuditAction.CREATE, object_type="production.testreport")
    assert log.user_id == lab_user.pk
    assert log.changes["after"]["report_number"] == "JC-2024-001"
    assert log.changes["after"]["items"][0]["name"] == "毒死蜱"


def test_duplicate_report_number_of_the_same_lab_is_refused(tree, lab_user, lab, sample):
    record(lab_user, sample, lab=lab, number="JC-1")

    with pytest.raises(ProductionError) as exc_info:
        record(lab_user, sample, lab=lab, number=" JC-1 ", sample_code="YP-2")

    assert _codes(exc_info) == "duplicate_report_number"
    assert exc_info.value.status == 409
    assert models.TestReport.objects.count() == 1
    other_lab, other_user = new_lab(tree["c1"])
    assert record(other_user, sample, lab=other_lab, number="JC-1").pk


@pytest.mark.parametrize(
    "bad",
    [
        upload("报告.pdf", HTML, "application/pdf"),
        png_upload("报告.png"),
        upload("报告.pdf", b"", "application/pdf"),
    ],
    ids=["html-named-pdf", "png", "empty"],
)
def test_a_report_file_that_is_not_a_pdf_is_refused(lab_user, lab, sample, bad):
    with pytest.raises(UploadError):
        record(lab_user, sample, lab=lab, upload=bad)

    assert not models.TestReport.objects.exists()
    assert not models.TestItem.objects.exists()


def test_tested_before_sampled_or_in_the_future_is_refused(lab_user, lab, sample):
    with pytest.raises(ProductionError) as before:
        record(lab_user, sample, lab=lab, sampled_on=TODAY, tested_on=TODAY - dt.timedelta(days=1))
    with pytest.raises(ProductionError) as future:
        record(
            lab_user,
            sample,
            lab=lab,
            sampled_on=TODAY,
            tested_on=TODAY + dt.timedelta(days=1),
        )

    assert _codes(before) == _codes(future) == "invalid_dates"
    assert not models.TestReport.objects.exists()


def test_a_base_of_another_producer_or_product_is_refused(tree, lab_user, lab, sample):
    neighbour = sample_in(tree["c1a"], product=sample.product)
    other_product = ProductFactory.create(name="清徐陈醋", divisions=[tree["c1a"]])
    own_base_of_other_product = production_base(sample.producer, other_product)

    for base in (neighbour.base, own_base_of_other_product):
        with pytest.raises(ProductionError) as exc_info:
            record(lab_user, sample, lab=lab, base=base)
        assert _codes(exc_info) == "invalid_base"

    assert record(lab_user, sample, lab=lab, base=sample.base).base == sample.base


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([], "items_required"),
        ([item("铅", "0.1"), item("铅 ", "0.2")], "duplicate_item"),
        ([item("铅", "abc")], "invalid_value"),
        ([item("铅", "0.1", limit_min="1", limit_max="0.5")], "invalid_item"),
        ([item("铅", "0.00001")], "invalid_value"),
        ([item("", "0.1")], "invalid_item"),
        ([{**item("铅", "0.1"), "category": "taste"}], "invalid_item"),
    ],
    ids=[
        "none",
        "duplicate",
        "not-a-number",
        "limits-reversed",
        "too-precise",
        "unnamed",
        "category",
    ],
)
def test_bad_items_are_refused(lab_user, lab, sample, items, code):
    with pytest.raises(ProductionError) as exc_info:
        record(lab_user, sample, lab=lab, items=items)

    assert _codes(exc_info) == code
    assert not models.TestReport.objects.exists()


def test_only_labs_and_the_province_record_reports(tree, county_admin, sample, lab_user):
    with pytest.raises(ForbiddenError):
        record(county_admin, sample, lab=lab_of(lab_user))
    with pytest.raises(ForbiddenError):
        record(sample.producer_login, sample, lab=lab_of(lab_user))


def test_a_lab_cannot_record_in_another_labs_name(tree, lab_user, sample):
    other_lab, _ = new_lab(tree["c2"])

    with pytest.raises(ProductionError) as exc_info:
        record(lab_user, sample, lab=other_lab)

    assert _codes(exc_info) == "invalid_lab"


def test_the_province_records_on_behalf_of_a_lab_which_then_owns_the_report(
    province_admin, lab_user, lab, sample
):
    report = record(province_admin, sample, lab=lab)

    assert report.lab == lab
    assert report.recorded_by == province_admin
    assert selectors.test_report_get_for_user(user=lab_user, pk=report.pk) == report
    with pytest.raises(ForbiddenError):
        test_reports.test_report_update(
            actor=province_admin, report=report, data={"notes": "改"}, items=None, upload=None
        )


def test_a_lab_samples_any_producer_of_its_province_but_not_another_province(lab_user, lab, tree):
    far = sample_in(tree["c2b"])
    assert record(lab_user, far, lab=lab).producer == far.producer

    elsewhere = division_tree("150000")
    foreign = sample_in(elsewhere["c1a"])
    with pytest.raises(ProductionError) as exc_info:
        record(lab_user, foreign, lab=lab, number="X-2")
    assert _codes(exc_info) == "invalid_product"


def test_a_county_lab_samples_in_its_whole_province(tree):
    lab, user = new_lab(tree["c2a"], name="县检测站")
    elsewhere = sample_in(tree["c1b"])
    assert record(user, elsewhere, lab=lab).lab == lab


# --- Correction -------------------------------------------------------------------------------


def test_the_lab_corrects_items_which_rederives_and_is_audited(
    province_admin, lab_user, lab, sample
):
    grape_scheme(province_admin, sample.product)
    report = record(
        lab_user, sample, lab=lab, items=[*nutrition("15"), item("铅", "0.5", limit_max="0.2")]
    )
    assert (report.result, report.grade) == ("fail", None)

    report = test_reports.test_report_update(
        actor=lab_user,
        report=report,
        data={"notes": "录入错误，铅含量更正", "batch_code": "PC-9"},
        items=[*nutrition("18.2", "0.4"), item("铅", "0.05", limit_max="0.2")],
        upload=pdf_upload("更正.pdf"),
    )

    report.refresh_from_db()
    assert report.result == "pass"
    assert grade_name(report) == "特级"
    assert report.batch_code == "PC-9"
    assert report.items.count() == 3
    assert str(report.file.name).endswith(".pdf")
    log = AuditLog.objects.get(action=AuditAction.UPDATE, object_type="production.testreport")
    assert log.changes["before"]["result"] == "fail"
    assert log.changes["after"]["result"] == "pass"
    assert {row["name"] for row in log.changes["before"]["items"]} == {"可溶性固形物", "铅"}
    assert len(log.changes["after"]["items"]) == 3
    assert selectors.failed_sample_codes(producer=sample.producer, product=sample.product) == set()


def test_a_correction_without_new_items_keeps_the_grade(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab, items=nutrition("16.5"))
    grading_from = report.grade

    report = test_reports.test_report_update(
        actor=lab_user, report=report, data={"sample_code": "YP-002"}, items=None, upload=None
    )

    assert report.grade == grading_from
    assert report.sample_code == "YP-002"


def test_no_change_writes_no_audit_row(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)

    test_reports.test_report_update(
        actor=lab_user, report=report, data={"notes": ""}, items=None, upload=None
    )

    assert not AuditLog.objects.filter(action=AuditAction.UPDATE).exists()


def test_a_correction_to_a_duplicate_number_is_refused(lab_user, lab, sample):
    record(lab_user, sample, lab=lab, number="N-1")
    second = record(lab_user, sample, lab=lab, number="N-2")

    with pytest.raises(ProductionError) as exc_info:
        test_reports.test_report_update(
            actor=lab_user, report=second, data={"report_number": "N-1"}, items=None, upload=None
        )

    assert _codes(exc_info) == "duplicate_report_number"
    second.refresh_from_db()
    assert second.report_number == "N-2"


def test_only_the_reports_lab_corrects_it(tree, county_admin, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    _, other_user = new_lab(tree["p"], name="另一检测中心")
    colleague = user_with_role(Role.LAB, tree["p"], organization=lab)

    with pytest.raises(NotFoundError):  # another lab does not even see it
        test_reports.test_report_update(
            actor=other_user, report=report, data={"notes": "x"}, items=None, upload=None
        )
    with pytest.raises(ForbiddenError):  # the county sees it but may not change it
        test_reports.test_report_update(
            actor=county_admin, report=report, data={"notes": "x"}, items=None, upload=None
        )
    with pytest.raises(ForbiddenError):
        test_reports.test_report_update(
            actor=sample.producer_login, report=report, data={"notes": "x"}, items=None, upload=None
        )
    corrected = test_reports.test_report_update(
        actor=colleague, report=report, data={"notes": "复核"}, items=None, upload=None
    )
    assert corrected.notes == "复核"


def test_a_correction_with_bad_items_changes_nothing(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)

    with pytest.raises(ProductionError):
        test_reports.test_report_update(
            actor=lab_user, report=report, data={"notes": "x"}, items=[], upload=None
        )

    report.refresh_from_db()
    assert report.notes == ""
    assert report.items.count() == 1


def test_a_correction_cannot_move_the_lab(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    with pytest.raises(TypeError):
        test_reports.test_report_update(
            actor=lab_user, report=report, data={"lab": lab}, items=None, upload=None
        )


# --- Visibility -------------------------------------------------------------------------------


def _visible(user) -> set[str]:
    rows = selectors.test_report_list_for_user(user=user, filters=selectors.ReportFilters())
    return set(rows.values_list("report_number", flat=True))


def test_each_user_sees_the_reports_of_its_scope(
    tree, province_admin, city_admin, county_admin, other_county_admin, lab_user, lab, sample
):
    far = sample_in(tree["c2a"], product=sample.product)
    other_lab, other_lab_user = new_lab(tree["p"], name="第二检测中心")
    record(lab_user, sample, lab=lab, number="MINE-C1A")
    record(other_lab_user, far, lab=other_lab, number="THEIRS-C2A")

    assert _visible(lab_user) == {"MINE-C1A"}
    assert _visible(other_lab_user) == {"THEIRS-C2A"}
    assert _visible(sample.producer_login) == {"MINE-C1A"}
    assert _visible(far.producer_login) == {"THEIRS-C2A"}
    assert _visible(county_admin) == {"MINE-C1A"}
    assert _visible(city_admin) == {"MINE-C1A"}
    assert _visible(other_county_admin) == {"THEIRS-C2A"}
    assert _visible(province_admin) == {"MINE-C1A", "THEIRS-C2A"}


def test_another_county_gets_not_found(other_county_admin, lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab)
    with pytest.raises(NotFoundError):
        selectors.test_report_get_for_user(user=other_county_admin, pk=report.pk)


def test_the_list_filters(province_admin, lab_user, lab, sample):
    grape_scheme(province_admin, sample.product)
    record(lab_user, sample, lab=lab, number="F-1", items=nutrition("19", "0.5"), kind="nutrition")
    record(
        lab_user,
        sample,
        lab=lab,
        number="F-2",
        sample_code="S-X",
        items=[item("铅", "1", limit_max="0.2")],
        tested_on=TODAY - dt.timedelta(days=1),
    )

    def numbers(**filters) -> set[str]:
        rows = selectors.test_report_list_for_user(
            user=province_admin, filters=selectors.ReportFilters(**filters)
        )
        return set(rows.values_list("report_number", flat=True))

    assert numbers(result="fail") == {"F-2"}
    assert numbers(kind="nutrition") == {"F-1"}
    assert numbers(grade="特级") == {"F-1"}
    assert numbers(grade=selectors.GRADE_NONE) == {"F-2"}
    assert numbers(q="s-x") == {"F-2"}
    assert numbers(date_from=TODAY - dt.timedelta(days=2)) == {"F-2"}
    assert numbers(date_to=TODAY - dt.timedelta(days=2)) == {"F-1"}
    assert numbers(product=sample.product.pk, producer=sample.producer.pk) == {"F-1", "F-2"}


def test_values_keep_four_decimal_places(lab_user, lab, sample):
    report = record(lab_user, sample, lab=lab, items=[item("铅", "0.0125", limit_max="0.0125")])
    stored = report.items.get()
    assert stored.value == Decimal("0.0125")
    assert stored.passed is True
