from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.dispatch import services
from dibiao.dispatch.choices import ReportKind, ReportStatus
from dibiao.dispatch.errors import DispatchError
from dibiao.dispatch.models import DispatchProgressLine, DispatchReport
from dibiao.dispatch.tests.conftest import JULY, beijing, file_report
from dibiao.projects.choices import ImplementationArea, ProgramStatus
from dibiao.projects.models import ProgramTarget
from dibiao.projects.services import (
    allocation_create,
    entry_record,
    entry_review,
    program_transition,
)
from dibiao.testing.factories import ProductFactory, user_with_role

pytestmark = pytest.mark.django_db


def _codes(exc_info) -> str:
    return exc_info.value.code


def _report_audit():
    return AuditLog.objects.filter(object_type="dispatch.dispatchreport")


def _pay(county_admin, reviewer, allocation, amount: str, paid_on: dt.date, approve=True):
    entry = entry_record(
        actor=county_admin,
        allocation=allocation,
        contract=None,
        voucher_number=f"PZ-{paid_on:%m%d}-{amount}",
        paid_on=paid_on,
        payee="清徐县葡萄专业合作社",
        amount=amount,
        area=ImplementationArea.PRODUCTION,
    )
    if approve is not None:
        entry = entry_review(
            actor=reviewer, entry=entry, approve=approve, note="" if approve else "凭证不全"
        )
    return entry


# --- report_save ------------------------------------------------------------------------------


def test_county_files_a_draft_with_progress_lines_and_it_is_audited(
    clock, allocation, county_admin, training
):
    clock.move_to(dt.date(2022, 8, 2))
    report = services.report_save(
        actor=county_admin,
        allocation=allocation,
        kind=ReportKind.MONTHLY,
        period_start=JULY,
        data={"summary": "  完成基地建设。 ", "problems": "", "next_steps": "培训"},
        lines=[
            services.ProgressInput(training.pk, "培训 2 期", Decimal("180")),
            services.ProgressInput(
                ProgramTarget.objects.get(program=allocation.program, code="platform").pk
            ),
        ],
    )

    assert report.status == ReportStatus.DRAFT
    assert report.summary == "完成基地建设。"
    assert report.due_date == dt.date(2022, 8, 5)
    assert report.created_by == county_admin
    # A line with neither progress nor a value is not kept.
    assert [(line.target_id, line.achieved) for line in report.lines.all()] == [
        (training.pk, Decimal("180.00"))
    ]
    row = AuditLog.objects.get(object_type="dispatch.dispatchreport", object_id=str(report.pk))
    assert row.action == AuditAction.CREATE
    assert row.changes["after"]["lines"] == [[training.pk, "培训 2 期", "180.00"]]


def test_saving_again_edits_the_same_report_and_audits_only_changes(
    clock, allocation, county_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    first = file_report(county_admin, allocation, submit=False)
    second = services.report_save(
        actor=county_admin,
        allocation=allocation,
        kind=ReportKind.MONTHLY,
        period_start=JULY,
        data={"problems": "资金拨付慢。"},
    )

    assert second.pk == first.pk
    assert DispatchReport.objects.count() == 1
    assert second.summary == "完成标准化基地建设 200 亩。"  # fields not sent are kept
    assert second.lines.count() == 1  # lines=None leaves the lines alone
    update = _report_audit().filter(action=AuditAction.UPDATE).get()
    assert update.changes == {
        "before": {"problems": "雨季影响施工。"},
        "after": {"problems": "资金拨付慢。"},
    }

    services.report_save(
        actor=county_admin, allocation=allocation, kind=ReportKind.MONTHLY, period_start=JULY
    )
    assert _report_audit().filter(action=AuditAction.UPDATE).count() == 1


def test_funds_spent_are_the_approved_spending_up_to_the_period_end(
    clock, allocation, county_admin, colleague
):
    clock.move_to(dt.date(2022, 7, 10))
    _pay(county_admin, colleague, allocation, "100000.00", dt.date(2022, 7, 8))
    _pay(county_admin, colleague, allocation, "50000.00", dt.date(2022, 7, 9), approve=None)
    _pay(county_admin, colleague, allocation, "30000.00", dt.date(2022, 7, 9), approve=False)
    clock.move_to(dt.date(2022, 8, 3))
    _pay(county_admin, colleague, allocation, "70000.00", dt.date(2022, 8, 1))

    report = file_report(county_admin, allocation, submit=False)

    # Pending and rejected payments do not count, nor August's payment in July's report.
    assert report.funds_spent_to_date == Decimal("100000.00")
    assert report.funds_read_at is not None


def test_another_county_cannot_file_for_the_allocation(clock, allocation, other_county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    with pytest.raises(NotFoundError):
        file_report(other_county_admin, allocation, submit=False)


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.PROVINCE_ADMIN, Role.COUNTY_GOV])
def test_only_the_implementing_body_files(clock, allocation, tree, role):
    clock.move_to(dt.date(2022, 8, 2))
    division = {Role.CITY_ADMIN: "c1", Role.PROVINCE_ADMIN: "p", Role.COUNTY_GOV: "c1a"}[role]
    with pytest.raises(ForbiddenError):
        file_report(user_with_role(role, tree[division]), allocation, submit=False)
    assert not DispatchReport.objects.exists()


def test_a_city_level_allocation_is_filed_by_that_city_bureau(
    clock, program, tree, province_admin, city_admin
):
    product = ProductFactory.create(name="上党高粱", divisions=[tree["c1"]])
    city_allocation = allocation_create(
        actor=province_admin, program=program, product=product, amount="1000000.00"
    )
    clock.move_to(dt.date(2022, 8, 2))

    report = file_report(city_admin, city_allocation)

    assert report.status == ReportStatus.SUBMITTED
    with pytest.raises(ForbiddenError):
        file_report(province_admin, city_allocation, start=dt.date(2022, 6, 1))


@pytest.mark.parametrize("status", [ProgramStatus.CLOSED])
def test_only_an_implementing_program_takes_reports(
    clock, program, allocation, county_admin, province_admin, status
):
    clock.move_to(dt.date(2022, 8, 2))
    program_transition(actor=province_admin, program=program, status=status)
    with pytest.raises(DispatchError) as exc_info:
        file_report(county_admin, allocation, submit=False)
    assert _codes(exc_info) == "program_not_implementing"
    assert exc_info.value.status == 409


@pytest.mark.parametrize(
    ("kind", "start", "code"),
    [
        ("weekly", JULY, "invalid_kind"),
        (ReportKind.MONTHLY, dt.date(2022, 7, 2), "invalid_period"),
        (ReportKind.MONTHLY, dt.date(2022, 2, 1), "invalid_period"),  # before the allocation
        (ReportKind.MONTHLY, dt.date(2021, 12, 1), "invalid_period"),  # another year
        (ReportKind.QUARTERLY, dt.date(2022, 8, 1), "invalid_period"),
        (ReportKind.ANNUAL, dt.date(2022, 7, 1), "invalid_period"),
        (ReportKind.MONTHLY, dt.date(2022, 9, 1), "period_not_started"),
        (ReportKind.QUARTERLY, dt.date(2022, 10, 1), "period_not_started"),
    ],
)
def test_only_periods_of_the_program_that_have_begun_can_be_filed(
    clock, allocation, county_admin, kind, start, code
):
    clock.move_to(dt.date(2022, 8, 31))
    with pytest.raises(DispatchError) as exc_info:
        services.report_save(
            actor=county_admin, allocation=allocation, kind=kind, period_start=start
        )
    assert _codes(exc_info) == code


def test_the_current_period_can_be_filed(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 1))
    report = file_report(county_admin, allocation, start=dt.date(2022, 8, 1), submit=False)
    assert report.due_date == dt.date(2022, 9, 5)
    annual = file_report(
        county_admin, allocation, kind=ReportKind.ANNUAL, start=dt.date(2022, 1, 1), submit=False
    )
    assert annual.due_date == dt.date(2022, 11, 30)


def test_a_submitted_report_cannot_be_edited(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    file_report(county_admin, allocation)
    with pytest.raises(DispatchError) as exc_info:
        file_report(county_admin, allocation, summary="改写", submit=False)
    assert (_codes(exc_info), exc_info.value.status) == ("report_submitted", 409)
    assert DispatchReport.objects.get().summary == "完成标准化基地建设 200 亩。"


def test_progress_lines_must_be_targets_of_the_program(
    clock, allocation, county_admin, training, tree, province_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    from dibiao.projects.services import program_create

    other_program = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2023,
        name="2023年工程",
        total_budget="1000000.00",
        annual_summary_deadline=dt.date(2023, 11, 30),
    )
    foreign = other_program.targets.get(code="training")
    cases = [
        ([services.ProgressInput(foreign.pk, "x")], "invalid_target"),
        (
            [services.ProgressInput(training.pk, "a"), services.ProgressInput(training.pk, "b")],
            "invalid_target",
        ),
        ([services.ProgressInput(training.pk, "a", Decimal("-1"))], "invalid_achieved"),
    ]
    for lines, code in cases:
        with pytest.raises(DispatchError) as exc_info:
            services.report_save(
                actor=county_admin,
                allocation=allocation,
                kind=ReportKind.MONTHLY,
                period_start=JULY,
                lines=lines,
            )
        assert _codes(exc_info) == code
    assert not DispatchProgressLine.objects.exists()
    assert not DispatchReport.objects.exists()  # the refused save rolled back its new report


# --- report_submit ----------------------------------------------------------------------------


def test_submitting_on_the_due_date_is_on_time_and_audited(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 5), hour=23, minute=59)
    report = file_report(county_admin, allocation)

    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == county_admin
    assert report.submitted_late is False
    row = _report_audit().get(action=AuditAction.TRANSITION)
    assert row.changes["after"]["status"] == ReportStatus.SUBMITTED
    assert row.changes["after"]["submitted_late"] is False


def test_a_late_submission_is_accepted_and_flagged(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 6), hour=0, minute=1)
    report = file_report(county_admin, allocation)
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_late is True
    assert _report_audit().get(action=AuditAction.TRANSITION).detail == "迟报"


def test_a_historical_submission_keeps_its_given_time(clock, allocation, county_admin):
    # Loading July's report in October: submitted on 4 August (on time) and on 9 August (late).
    clock.move_to(dt.date(2022, 10, 10))
    on_time = file_report(county_admin, allocation, submit=False)
    at = beijing(dt.date(2022, 8, 4), hour=16)
    report = services.report_submit(actor=county_admin, report=on_time, submitted_at=at)

    assert report.submitted_at == at
    assert report.submitted_late is False
    row = _report_audit().get(action=AuditAction.TRANSITION)
    assert row.at > at  # the audit row keeps the real time of the call
    assert row.detail == "补录报送时间 2022-08-04 16:00"
    assert row.changes["after"]["submitted_at"] == at.isoformat()

    august = file_report(county_admin, allocation, start=dt.date(2022, 8, 1), submit=False)
    late = services.report_submit(
        actor=county_admin, report=august, submitted_at=beijing(dt.date(2022, 9, 9))
    )
    assert late.submitted_late is True
    assert _report_audit().filter(action=AuditAction.TRANSITION).latest("id").detail == (
        "迟报；补录报送时间 2022-09-09 10:00"
    )


@pytest.mark.parametrize(
    ("submitted_at", "code"),
    [
        (beijing(dt.date(2022, 10, 10), hour=10, minute=1), "submitted_at_in_future"),
        (beijing(dt.date(2022, 6, 30), hour=23, minute=59), "submitted_at_before_period"),
        (dt.datetime(2022, 8, 4, 10), "invalid_submitted_at"),  # no time zone
    ],
)
def test_a_historical_submission_time_in_the_future_or_before_the_period_is_refused(
    clock, allocation, county_admin, submitted_at, code
):
    clock.move_to(dt.date(2022, 10, 10))
    draft = file_report(county_admin, allocation, submit=False)
    with pytest.raises(DispatchError) as exc_info:
        services.report_submit(actor=county_admin, report=draft, submitted_at=submitted_at)
    assert _codes(exc_info) == code
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT
    assert draft.submitted_at is None
    assert not _report_audit().filter(action=AuditAction.TRANSITION).exists()


def test_submission_reads_the_funds_again(clock, allocation, county_admin, colleague):
    clock.move_to(dt.date(2022, 8, 2))
    draft = file_report(county_admin, allocation, submit=False)
    _pay(county_admin, colleague, allocation, "20000.00", dt.date(2022, 7, 30))
    report = services.report_submit(actor=county_admin, report=draft)
    assert report.funds_spent_to_date == Decimal("20000.00")


def test_a_report_is_submitted_once(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    report = file_report(county_admin, allocation)
    with pytest.raises(DispatchError) as exc_info:
        services.report_submit(actor=county_admin, report=report)
    assert (_codes(exc_info), exc_info.value.status) == ("already_submitted", 409)


def test_an_empty_report_cannot_be_submitted(clock, allocation, county_admin):
    clock.move_to(dt.date(2022, 8, 2))
    monthly = services.report_save(
        actor=county_admin, allocation=allocation, kind=ReportKind.MONTHLY, period_start=JULY
    )
    quarterly = services.report_save(
        actor=county_admin,
        allocation=allocation,
        kind=ReportKind.QUARTERLY,
        period_start=dt.date(2022, 4, 1),
        lines=[services.ProgressInput(allocation.program.targets.first().pk, "进展")],
    )
    for report in (monthly, quarterly):  # a summary needs its text, not only lines
        with pytest.raises(DispatchError) as exc_info:
            services.report_submit(actor=county_admin, report=report)
        assert _codes(exc_info) == "report_incomplete"
    assert not DispatchReport.objects.filter(status=ReportStatus.SUBMITTED).exists()


def test_only_the_implementing_body_submits(
    clock, allocation, county_admin, other_county_admin, city_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    report = file_report(county_admin, allocation, submit=False)
    with pytest.raises(NotFoundError):
        services.report_submit(actor=other_county_admin, report=report)
    with pytest.raises(ForbiddenError):
        services.report_submit(actor=city_admin, report=report)
    assert DispatchReport.objects.get().status == ReportStatus.DRAFT


def test_no_submission_once_the_program_is_closed(
    clock, program, allocation, county_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 2))
    report = file_report(county_admin, allocation, submit=False)
    program_transition(actor=province_admin, program=program, status=ProgramStatus.CLOSED)
    with pytest.raises(DispatchError) as exc_info:
        services.report_submit(actor=county_admin, report=report)
    assert _codes(exc_info) == "program_not_implementing"


# --- report_return ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["city_admin", "province_admin"])
def test_city_or_province_returns_a_submitted_report_with_a_reason(
    clock, allocation, county_admin, who, request
):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation)
    supervisor = request.getfixturevalue(who)

    returned = services.report_return(actor=supervisor, report=report, reason=" 资金数据有误 ")

    assert returned.status == ReportStatus.RETURNED
    assert returned.return_reason == "资金数据有误"
    assert returned.returned_by == supervisor
    row = _report_audit().filter(action=AuditAction.TRANSITION).latest("id")
    assert row.changes == {
        "before": {"status": ReportStatus.SUBMITTED},
        "after": {"status": ReportStatus.RETURNED},
    }
    assert row.detail == "资金数据有误"


def test_a_returned_report_is_corrected_and_submitted_again(
    clock, allocation, county_admin, city_admin
):
    clock.move_to(dt.date(2022, 8, 3))
    report = services.report_return(
        actor=city_admin, report=file_report(county_admin, allocation), reason="请补充问题"
    )
    clock.move_to(dt.date(2022, 8, 8))
    file_report(county_admin, allocation, summary="补充后的进展", submit=False)
    report = services.report_submit(actor=county_admin, report=report)

    assert report.status == ReportStatus.SUBMITTED
    assert report.summary == "补充后的进展"
    assert report.submitted_late is True  # resubmitted after the due date


def test_return_is_refused_to_others_and_in_other_states(
    clock, allocation, county_admin, other_city_admin, city_admin, colleague
):
    clock.move_to(dt.date(2022, 8, 3))
    draft = file_report(county_admin, allocation, submit=False)
    with pytest.raises(DispatchError) as exc_info:
        services.report_return(actor=city_admin, report=draft, reason="x")
    assert (_codes(exc_info), exc_info.value.status) == ("not_submitted", 409)

    report = services.report_submit(actor=county_admin, report=draft)
    with pytest.raises(NotFoundError):
        services.report_return(actor=other_city_admin, report=report, reason="x")
    with pytest.raises(ForbiddenError):
        services.report_return(actor=colleague, report=report, reason="x")
    with pytest.raises(DispatchError) as exc_info:
        services.report_return(actor=city_admin, report=report, reason="  ")
    assert _codes(exc_info) == "reason_required"

    services.report_return(actor=city_admin, report=report, reason="x")
    with pytest.raises(DispatchError) as exc_info:
        services.report_return(actor=city_admin, report=report, reason="again")
    assert _codes(exc_info) == "not_submitted"


def test_no_one_returns_their_own_report(clock, program, tree, province_admin, city_admin):
    product = ProductFactory.create(name="上党高粱", divisions=[tree["c1"]])
    city_allocation = allocation_create(
        actor=province_admin, program=program, product=product, amount="1000000.00"
    )
    clock.move_to(dt.date(2022, 8, 2))
    report = file_report(city_admin, city_allocation)
    with pytest.raises(DispatchError) as exc_info:
        services.report_return(actor=city_admin, report=report, reason="x")
    assert (_codes(exc_info), exc_info.value.status) == ("own_report", 403)
    assert services.report_return(actor=province_admin, report=report, reason="x").status == (
        ReportStatus.RETURNED
    )


def test_no_return_once_the_program_is_closed(
    clock, program, allocation, county_admin, city_admin, province_admin
):
    clock.move_to(dt.date(2022, 8, 3))
    report = file_report(county_admin, allocation)
    program_transition(actor=province_admin, program=program, status=ProgramStatus.CLOSED)
    with pytest.raises(DispatchError) as exc_info:
        services.report_return(actor=city_admin, report=report, reason="x")
    assert _codes(exc_info) == "program_not_implementing"
