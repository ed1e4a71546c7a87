"""Grading schemes (分等分级): validation, who edits them, replacing without touching reports,
and explicit regrading of one report or a product's reports. Helpers: report_fixtures.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.production import models
from dibiao.production.errors import ProductionError
from dibiao.production.services import grading
from dibiao.production.tests.report_fixtures import (
    criterion,
    grade,
    grade_name,
    grape_scheme,
    lab_of,
    nutrition,
    record,
    sample_in,
)
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample(tree):
    return sample_in(tree["c1a"])


@pytest.fixture
def product(sample):
    return sample.product


def _names(product) -> list[tuple[str, int]]:
    return list(product.grades.order_by("rank").values_list("name", "rank"))


def _replace(actor, product, *grades):
    return grading.grading_scheme_replace(actor=actor, product=product, grades=list(grades))


# --- Validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grades", "code"),
    [
        ([grade("特级", 1, criterion("糖度"))], "criterion_without_bound"),
        (
            [grade("特级", 1, criterion("糖度", min_value="20", max_value="18"))],
            "criterion_bounds_reversed",
        ),
        (
            [
                grade("特级", 1, criterion("糖度", min_value="18")),
                grade("一级", 1, criterion("糖度", min_value="16")),
            ],
            "duplicate_grade_rank",
        ),
        (
            [
                grade("特级", 1, criterion("糖度", min_value="18")),
                grade(" 特级", 2, criterion("糖度", min_value="16")),
            ],
            "duplicate_grade_name",
        ),
        ([grade("特级", 1)], "grade_without_criteria"),
        (
            [
                grade(
                    "特级", 1, criterion("糖度", min_value="18"), criterion("糖度", max_value="30")
                )
            ],
            "duplicate_criterion",
        ),
        ([grade("", 1, criterion("糖度", min_value="18"))], "invalid_grading_scheme"),
        ([grade("特级", 0, criterion("糖度", min_value="18"))], "invalid_grading_scheme"),
        ([grade("特级", "一", criterion("糖度", min_value="18"))], "invalid_grading_scheme"),
        ([grade("特级", 1, criterion("糖度", min_value="many"))], "invalid_value"),
        ([grade("特级", 1, criterion("", min_value="1"))], "invalid_grading_scheme"),
    ],
    ids=[
        "no-bound",
        "min-over-max",
        "same-rank",
        "same-name",
        "no-criteria",
        "criterion-twice",
        "unnamed",
        "rank-zero",
        "rank-not-a-number",
        "bound-not-a-number",
        "criterion-unnamed",
    ],
)
def test_an_invalid_scheme_is_refused_and_nothing_changes(province_admin, product, grades, code):
    grape_scheme(province_admin, product)
    before = _names(product)

    with pytest.raises(ProductionError) as exc_info:
        grading.grading_scheme_replace(actor=province_admin, product=product, grades=grades)

    assert exc_info.value.code == code
    assert _names(product) == before


def test_a_criterion_with_only_a_maximum_is_valid(province_admin, product):
    scheme = _replace(province_admin, product, grade("合格", 1, criterion("总酸", max_value="0.8")))
    assert [(c.min_value, c.max_value) for c in scheme[0].criteria.all()] == [
        (None, Decimal("0.8"))
    ]


# --- Who edits ----------------------------------------------------------------------------------


def test_the_province_and_the_products_county_edit_the_scheme_and_it_is_audited(
    province_admin, county_admin, product
):
    grape_scheme(province_admin, product)
    _replace(county_admin, product, grade("优等", 1, criterion("可溶性固形物", min_value="17")))

    assert _names(product) == [("优等", 1)]
    logs = AuditLog.objects.filter(action=AuditAction.UPDATE, object_type="registry.giproduct")
    assert logs.count() == 2
    latest = logs.latest("pk")
    assert latest.user_id == county_admin.pk
    assert latest.changes["after"]["grading_scheme"][0]["name"] == "优等"
    assert [g["name"] for g in latest.changes["before"]["grading_scheme"]] == [
        "特级",
        "一级",
        "二级",
    ]


def test_an_unchanged_scheme_writes_no_audit_row(province_admin, product):
    grape_scheme(province_admin, product)
    grape_scheme(province_admin, product)
    assert AuditLog.objects.filter(object_type="registry.giproduct").count() == 1


def test_another_county_cannot_find_the_product(other_county_admin, product):
    with pytest.raises(NotFoundError):
        grape_scheme(other_county_admin, product)


def test_city_lab_and_producer_users_cannot_edit_the_scheme(city_admin, lab_user, sample, product):
    with pytest.raises(ForbiddenError):
        grape_scheme(city_admin, product)
    with pytest.raises(NotFoundError):  # the lab has no scope over products to edit
        grape_scheme(lab_user, product)
    with pytest.raises(NotFoundError):
        grape_scheme(sample.producer_login, product)
    assert not product.grades.exists()


def test_a_county_admin_of_another_county_of_a_shared_product_cannot_edit(tree, county_admin):
    shared_elsewhere = ProductFactory.create(divisions=[tree["c1b"]])
    with pytest.raises(NotFoundError):
        grape_scheme(county_admin, shared_elsewhere)


# --- Replacing keeps identities, never regrades --------------------------------------------------


def test_changing_the_scheme_does_not_regrade_existing_reports(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))
    assert grade_name(report) == "一级"

    _replace(
        province_admin,
        sample.product,
        grade("特级", 1, criterion("可溶性固形物", min_value="16")),
        grade("一级", 2, criterion("可溶性固形物", min_value="14")),
    )

    report.refresh_from_db()
    assert grade_name(report) == "一级"  # kept until someone regrades


def test_a_renamed_grade_at_the_same_rank_keeps_its_reports(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))
    graded_id = report.grade_id

    _replace(
        province_admin,
        sample.product,
        grade("特级", 1, criterion("可溶性固形物", min_value="18")),
        grade("一等", 2, criterion("可溶性固形物", min_value="16")),
        grade("二级", 3, criterion("可溶性固形物", min_value="14")),
    )

    report.refresh_from_db()
    assert report.grade_id == graded_id
    assert grade_name(report) == "一等"


def test_swapping_ranks_keeps_each_grade_by_name(province_admin, product):
    scheme = grape_scheme(province_admin, product)
    ids = {g.name: g.pk for g in scheme}

    swapped = _replace(
        province_admin,
        product,
        grade("一级", 1, criterion("可溶性固形物", min_value="18")),
        grade("特级", 2, criterion("可溶性固形物", min_value="16")),
    )

    assert {g.name: (g.pk, g.rank) for g in swapped} == {
        "一级": (ids["一级"], 1),
        "特级": (ids["特级"], 2),
    }


def test_a_grade_given_by_id_can_be_renamed_to_a_name_another_grade_gives_up(
    province_admin, product
):
    scheme = grape_scheme(province_admin, product)
    ids = {g.name: g.pk for g in scheme}

    result = _replace(
        province_admin,
        product,
        grade("一级", 1, criterion("可溶性固形物", min_value="18"), id=ids["特级"]),
        grade("二级", 2, criterion("可溶性固形物", min_value="16"), id=ids["一级"]),
    )

    assert [(g.pk, g.name) for g in result] == [(ids["特级"], "一级"), (ids["一级"], "二级")]


def test_an_id_of_another_products_grade_is_refused(province_admin, tree, product):
    other = ProductFactory.create(divisions=[tree["c1a"]])
    foreign = grape_scheme(province_admin, other)[0]

    with pytest.raises(ProductionError) as exc_info:
        _replace(
            province_admin, product, grade("特级", 1, criterion("糖", min_value="1"), id=foreign.pk)
        )

    assert exc_info.value.code == "unknown_grade"


def test_a_grade_that_reports_hold_cannot_be_removed(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))

    with pytest.raises(ProductionError) as exc_info:
        _replace(province_admin, sample.product, grade("特级", 1, criterion("糖", min_value="1")))

    assert exc_info.value.code == "grade_in_use"
    assert exc_info.value.status == 409
    assert "一级" in exc_info.value.message
    assert len(_names(sample.product)) == 3


def test_an_unused_grade_is_removed_and_an_empty_scheme_is_allowed(province_admin, product):
    grape_scheme(province_admin, product)
    assert grading.grading_scheme_replace(actor=province_admin, product=product, grades=[]) == []
    assert not models.GradeCriterion.objects.exists()


# --- Regrading ----------------------------------------------------------------------------------


def test_regrading_one_report_applies_the_current_scheme_and_is_audited(
    province_admin, lab_user, sample
):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))
    _replace(
        province_admin,
        sample.product,
        grade("特级", 1, criterion("可溶性固形物", min_value="16")),
        grade("一级", 2, criterion("可溶性固形物", min_value="14")),
    )

    report = grading.test_report_regrade(report=report, actor=lab_user)

    assert grade_name(report) == "特级"
    log = AuditLog.objects.get(action=AuditAction.UPDATE, object_type="production.testreport")
    assert log.detail == "重新评定等级：一级 → 特级"
    assert log.user_id == lab_user.pk


def test_regrading_an_unchanged_report_is_still_on_record(province_admin, lab_user, sample):
    grape_scheme(province_admin, sample.product)
    report = record(lab_user, sample, lab=lab_of(lab_user), items=nutrition("16.5"))

    grading.test_report_regrade(report=report, actor=province_admin)

    log = AuditLog.objects.get(action=AuditAction.UPDATE, object_type="production.testreport")
    assert log.detail == "重新评定等级：一级 → 一级"
    assert log.changes == {"before": {}, "after": {}}


def test_who_may_regrade_a_report(
    tree, province_admin, county_admin, other_county_admin, city_admin, lab_user, sample
):
    report = record(lab_user, sample, lab=lab_of(lab_user))

    with pytest.raises(NotFoundError):
        grading.test_report_regrade(report=report, actor=other_county_admin)
    with pytest.raises(ForbiddenError):
        grading.test_report_regrade(report=report, actor=city_admin)
    with pytest.raises(ForbiddenError):
        grading.test_report_regrade(report=report, actor=sample.producer_login)
    assert grading.test_report_regrade(report=report, actor=county_admin).pk == report.pk


def test_bulk_regrade_of_a_product_counts_and_audits_the_changes(
    tree, province_admin, county_admin, lab_user, sample
):
    lab = lab_of(lab_user)
    far = sample_in(tree["c2a"], product=sample.product)
    grape_scheme(province_admin, sample.product)
    a = record(lab_user, sample, lab=lab, number="R-1", items=nutrition("16.5"))
    b = record(lab_user, sample, lab=lab, number="R-2", items=nutrition("19", "0.5"))
    c = record(lab_user, far, lab=lab, number="R-3", items=nutrition("16.5"))
    _replace(
        province_admin,
        sample.product,
        grade("特级", 1, criterion("可溶性固形物", min_value="16")),
        grade("一级", 2, criterion("可溶性固形物", min_value="14")),
    )

    summary = grading.product_reports_regrade(product=sample.product, actor=county_admin)

    # The county regrades only the reports it can see: R-3 (county c2a) is left as it was.
    assert summary == grading.RegradeSummary(checked=2, changed=1)
    a.refresh_from_db()
    b.refresh_from_db()
    c.refresh_from_db()
    assert (grade_name(a), grade_name(b), grade_name(c)) == ("特级", "特级", "一级")
    per_report = AuditLog.objects.filter(
        object_type="production.testreport", action=AuditAction.UPDATE
    )
    assert list(per_report.values_list("object_id", flat=True)) == [str(a.pk)]
    summary_log = AuditLog.objects.filter(object_type="registry.giproduct").latest("pk")
    assert summary_log.detail == "批量重新评定检测报告等级：检查 2 份，等级变化 1 份"

    assert grading.product_reports_regrade(product=sample.product, actor=province_admin) == (
        grading.RegradeSummary(checked=3, changed=1)
    )


def test_bulk_regrade_needs_the_right_to_edit_the_scheme(city_admin, other_county_admin, product):
    with pytest.raises(ForbiddenError):
        grading.product_reports_regrade(product=product, actor=city_admin)
    with pytest.raises(NotFoundError):
        grading.product_reports_regrade(product=product, actor=other_county_admin)
