from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dibiao.dispatch import selectors, services
from dibiao.dispatch.choices import ReportKind, SubmissionState
from dibiao.dispatch.tests.conftest import JULY, file_report
from dibiao.projects.choices import ImplementationArea, ProgramStatus
from dibiao.projects.selectors import allocation_spending_by
from dibiao.projects.services import (
    entry_record,
    entry_reverse,
    entry_review,
    program_transition,
)

pytestmark = pytest.mark.django_db


def _overdue_keys(user, program) -> list[tuple[str, str]]:
    rows = selectors.overdue_reports(user=user, program=program, today=timezone.localdate())
    return [(row.allocation.product.name, row.period.key) for row in rows]


def test_monthly_report_not_filed_by_its_due_date_is_overdue_the_next_day(
    clock, program, allocation, province_admin, county_admin
):
    """Acceptance: July's report is due 2022-08-05. On the 5th it is not overdue; on the 6th
    the province sees it on the overdue list; once submitted it is off the list."""
    clock.move_to(dt.date(2022, 8, 5), hour=23, minute=59)
    assert ("清徐葡萄", "2022-07") not in _overdue_keys(province_admin, program)

    clock.move_to(dt.date(2022, 8, 6), hour=0, minute=1)
    rows = selectors.overdue_reports(
        user=province_admin, program=program, today=timezone.localdate()
    )
    july = next(r for r in rows if r.period.key == "2022-07")
    assert july.allocation == allocation
    assert july.period.kind == ReportKind.MONTHLY
    assert july.period.due == dt.date(2022, 8, 5)
    assert july.days_late == 1
    assert july.report is None
    assert july.state == SubmissionState.MISSING

    file_report(county_admin, allocation)
    assert ("清徐葡萄", "2022-07") not in _overdue_keys(province_admin, program)


def test_the_overdue_list_holds_every_period_past_due_oldest_first(
    clock, program, allocation, province_admin
):
    clock.move_to(dt.date(2022, 8, 6))
    keys = [key for _, key in _overdue_keys(province_admin, program)]
    # Reporting starts in March, the month of the allocation; Q2 was due on 5 July.
    assert keys == ["2022-03", "2022-Q1", "2022-04", "2022-05", "2022-06", "2022-Q2", "2022-07"]


def test_a_draft_or_returned_report_past_due_is_still_overdue(
    clock, program, allocation, province_admin, county_admin, city_admin
):
    clock.move_to(dt.date(2022, 8, 3))
    file_report(county_admin, allocation, submit=False)
    june = file_report(county_admin, allocation, start=dt.date(2022, 6, 1))
    services.report_return(actor=city_admin, report=june, reason="请补充")

    clock.move_to(dt.date(2022, 8, 6))
    rows = {
        r.period.key: r
        for r in selectors.overdue_reports(
            user=province_admin, program=program, today=timezone.localdate()
        )
    }
    assert rows["2022-07"].state == SubmissionState.MISSING
    assert rows["2022-07"].report is not None  # a draft, not submitted
    assert rows["2022-06"].state == SubmissionState.RETURNED


def test_overdue_list_is_scoped(
    clock,
    program,
    allocation,
    other_allocation,
    province_admin,
    city_admin,
    county_admin,
    other_county_admin,
):
    clock.move_to(dt.date(2022, 8, 6))
    products = lambda user: {name for name, _ in _overdue_keys(user, program)}  # noqa: E731
    assert products(province_admin) == {"清徐葡萄", "沁水刺槐蜂蜜"}
    assert products(city_admin) == {"清徐葡萄"}
    assert products(county_admin) == {"清徐葡萄"}
    assert products(other_county_admin) == {"沁水刺槐蜂蜜"}


def test_only_an_implementing_program_has_an_overdue_list(
    clock, program, allocation, province_admin
):
    clock.move_to(dt.date(2022, 8, 6))
    program = program_transition(actor=province_admin, program=program, status=ProgramStatus.CLOSED)
    assert _overdue_keys(province_admin, program) == []


def test_submission_matrix_marks_on_time_late_missing_returned_and_pending(
    clock, program, allocation, other_allocation, province_admin, county_admin, city_admin
):
    clock.move_to(dt.date(2022, 5, 3))
    file_report(county_admin, allocation, start=dt.date(2022, 4, 1))  # on time
    clock.move_to(dt.date(2022, 7, 20))
    file_report(county_admin, allocation, start=dt.date(2022, 5, 1))  # late
    june = file_report(county_admin, allocation, start=dt.date(2022, 6, 1))
    services.report_return(actor=city_admin, report=june, reason="请补充")

    clock.move_to(dt.date(2022, 8, 2))
    columns, rows = selectors.submission_matrix(
        user=province_admin, program=program, today=timezone.localdate()
    )

    assert [c.heading for c in columns][:3] == ["1月", "2月", "3月"]
    assert [c.heading for c in columns][12:] == ["Q1", "Q2", "Q3", "Q4", "年度"]
    assert [r.allocation.product.name for r in rows] == ["沁水刺槐蜂蜜", "清徐葡萄"]
    cells = {c.key: cell for c, cell in zip(columns, rows[1].cells, strict=True)}
    states = {key: cell.state if cell else None for key, cell in cells.items()}
    assert states["2022-01"] is None  # before the allocation
    assert states["2022-03"] == SubmissionState.MISSING
    assert states["2022-04"] == SubmissionState.ON_TIME
    assert states["2022-05"] == SubmissionState.LATE
    assert states["2022-06"] == SubmissionState.RETURNED
    assert states["2022-07"] == SubmissionState.PENDING  # due 5 August
    assert states["2022-09"] is None  # not begun
    assert states["2022"] == SubmissionState.PENDING
    may = cells["2022-05"]
    assert may is not None
    assert may.days_late == 45  # due 2022-06-05, submitted 2022-07-20


def test_county_schedule_lists_what_is_still_to_do_first(clock, program, allocation, county_admin):
    clock.move_to(dt.date(2022, 5, 3))
    file_report(county_admin, allocation, start=dt.date(2022, 4, 1))
    rows = selectors.report_schedule_for_user(
        user=county_admin, program=program, today=timezone.localdate()
    )
    # Overdue first (oldest first), then what is coming (nearest first), then what is done.
    assert [(r.period.key, r.state) for r in rows] == [
        ("2022-03", SubmissionState.MISSING),
        ("2022-Q1", SubmissionState.MISSING),
        ("2022-05", SubmissionState.PENDING),
        ("2022-Q2", SubmissionState.PENDING),
        ("2022", SubmissionState.PENDING),
        ("2022-04", SubmissionState.ON_TIME),
    ]


def test_spent_until_follows_the_ledgers_approved_spending_rule(
    clock, allocation, county_admin, colleague
):
    clock.move_to(dt.date(2022, 6, 20))

    def pay(amount, paid_on, approve=True):
        entry = entry_record(
            actor=county_admin,
            allocation=allocation,
            contract=None,
            voucher_number=f"V{amount}",
            paid_on=paid_on,
            payee="合作社",
            amount=amount,
            area=ImplementationArea.QUALITY,
        )
        return entry_review(
            actor=colleague, entry=entry, approve=approve, note="" if approve else "x"
        )

    paid = pay("100000.00", dt.date(2022, 5, 10))
    pay("40000.00", dt.date(2022, 6, 1))
    pay("9999.00", dt.date(2022, 6, 2), approve=False)
    reversal = entry_reverse(actor=county_admin, entry=paid, reason="重复支付")
    entry_review(actor=colleague, entry=reversal, approve=True)

    spent_june = selectors.allocation_spent_until(allocation=allocation, until=dt.date(2022, 6, 30))
    spent_may = selectors.allocation_spent_until(allocation=allocation, until=dt.date(2022, 5, 31))

    ledger_total = sum(
        (row["spent"] for row in allocation_spending_by(allocation=allocation, field="month")),
        Decimal(0),
    )
    assert spent_june == ledger_total == Decimal("40000.00")
    assert spent_may == Decimal("100000.00")  # the reversal is dated in June


def test_report_lists_are_scoped_and_another_countys_report_is_not_found(
    clock, allocation, other_allocation, county_admin, other_county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    mine = file_report(county_admin, allocation)
    theirs = file_report(other_county_admin, other_allocation)

    assert list(selectors.report_list_for_user(user=county_admin)) == [mine]
    assert set(selectors.report_list_for_user(user=province_admin)) == {mine, theirs}
    from dibiao.core.errors import NotFoundError

    with pytest.raises(NotFoundError):
        selectors.report_get_for_user(user=county_admin, pk=theirs.pk)
    assert selectors.report_get_for_user(user=county_admin, pk=mine.pk) == mine
    assert (
        selectors.report_find_for_user(
            user=county_admin, allocation=allocation, kind=ReportKind.MONTHLY, period_start=JULY
        )
        == mine
    )


def test_a_lean_read_gives_the_same_states_in_two_queries(
    clock, program, allocation, province_admin, county_admin, city_admin, django_assert_num_queries
):
    clock.move_to(dt.date(2022, 5, 3))
    file_report(county_admin, allocation, start=dt.date(2022, 4, 1))
    clock.move_to(dt.date(2022, 7, 20))
    file_report(county_admin, allocation, start=dt.date(2022, 5, 1))
    june = file_report(county_admin, allocation, start=dt.date(2022, 6, 1))
    services.report_return(actor=city_admin, report=june, reason="请补充")
    today = dt.date(2022, 8, 2)

    full = selectors.program_period_statuses(user=province_admin, program=program, today=today)
    with django_assert_num_queries(2):  # the allocations, the reports' state fields
        lean = selectors.program_period_statuses(
            user=province_admin, program=program, today=today, lean=True
        )
        states = [(r.allocation.pk, r.period.start, r.state, r.days_late) for r in lean]
    assert states == [(r.allocation.pk, r.period.start, r.state, r.days_late) for r in full]
    assert {r.state for r in lean} >= {
        SubmissionState.ON_TIME,
        SubmissionState.LATE,
        SubmissionState.RETURNED,
    }
