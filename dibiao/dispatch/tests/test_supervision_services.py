from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.dispatch import selectors, services
from dibiao.dispatch.choices import NoticeStatus
from dibiao.dispatch.errors import DispatchError
from dibiao.dispatch.models import CriticismNotice, InspectionVisit
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.services import program_create, program_transition
from dibiao.testing.factories import division_tree, user_with_role

pytestmark = pytest.mark.django_db

ISSUED = dt.date(2022, 6, 10)
DEADLINE = dt.date(2022, 7, 10)


def _visit(actor, program, division, **extra):
    data = {
        "visited_on": dt.date(2022, 6, 8),
        "inspectors": "王某、李某",
        "findings": "项目台账不全，资金支出进度慢。",
        "recommendations": "补齐台账。",
        **extra,
    }
    return services.inspection_record(actor=actor, program=program, division=division, **data)


def _notice(actor, program, division, **extra):
    data = {
        "title": "关于县c1a保护工程管理不规范的通报",
        "issues": "台账不全；支出进度慢。",
        "issued_on": ISSUED,
        "rectify_by": DEADLINE,
        **extra,
    }
    return services.notice_issue(actor=actor, program=program, division=division, **data)


@pytest.fixture
def on_june_10(clock, allocation, other_allocation):
    clock.move_to(ISSUED)
    return clock


# --- inspection visits ------------------------------------------------------------------------


def test_city_records_a_visit_to_its_county_and_it_is_audited(
    on_june_10, program, tree, city_admin, county_admin
):
    visit = _visit(city_admin, program, tree["c1a"])

    assert visit.recorded_by == city_admin
    assert AuditLog.objects.filter(
        object_type="dispatch.inspectionvisit", action=AuditAction.CREATE
    ).exists()
    # The county sees the visit to it; another county does not.
    assert list(selectors.inspection_list_for_user(user=county_admin)) == [visit]


def test_visits_are_recorded_by_supervisors_only_and_within_their_scope(
    on_june_10, program, tree, county_admin, city_admin, province_admin
):
    with pytest.raises(ForbiddenError):
        _visit(county_admin, program, tree["c1a"])
    with pytest.raises(DispatchError) as exc_info:
        _visit(city_admin, program, tree["c2a"])  # another city's county
    assert exc_info.value.code == "division_out_of_scope"
    with pytest.raises(DispatchError) as exc_info:
        _visit(province_admin, program, tree["c1b"])  # implements nothing in the program
    assert exc_info.value.code == "division_out_of_scope"
    with pytest.raises(DispatchError) as exc_info:
        _visit(city_admin, program, tree["c1a"], visited_on=dt.date(2022, 6, 11))
    assert exc_info.value.code == "date_in_future"
    with pytest.raises(DispatchError) as exc_info:
        _visit(city_admin, program, tree["c1a"], findings="  ")
    assert exc_info.value.code == "invalid_inspection"
    assert not InspectionVisit.objects.exists()


def test_no_supervision_before_implementation(on_june_10, tree, city_admin, province_admin):
    draft = program_create(
        actor=province_admin,
        province=tree["p"],
        year=2023,
        name="2023年工程",
        total_budget="1000000.00",
        annual_summary_deadline=dt.date(2023, 11, 30),
    )
    with pytest.raises(DispatchError) as exc_info:
        _visit(city_admin, draft, tree["c1a"])
    assert (exc_info.value.code, exc_info.value.status) == ("program_not_implementing", 409)


def test_another_provinces_program_is_not_found(on_june_10, program, city_admin):
    other_tree = division_tree("610000")
    other_admin = user_with_role(Role.CITY_ADMIN, other_tree["c1"])
    with pytest.raises(NotFoundError):
        _visit(other_admin, program, other_tree["c1a"])


# --- notices ----------------------------------------------------------------------------------


def test_city_issues_a_notice_with_a_deadline(on_june_10, program, tree, city_admin):
    visit = _visit(city_admin, program, tree["c1a"])
    notice = _notice(city_admin, program, tree["c1a"], inspection=visit)

    assert notice.status == NoticeStatus.OPEN
    assert notice.issuer_division == tree["c1"]
    assert notice.inspection == visit
    assert AuditLog.objects.filter(
        object_type="dispatch.criticismnotice", action=AuditAction.CREATE
    ).exists()


def test_a_notice_needs_a_deadline_not_before_its_date_and_a_matching_visit(
    on_june_10, program, tree, city_admin, province_admin, county_admin
):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"rectify_by": dt.date(2022, 6, 9)}, "invalid_deadline"),
        ({"issued_on": dt.date(2022, 6, 11), "rectify_by": DEADLINE}, "date_in_future"),
        ({"title": " "}, "invalid_notice"),
        (
            {"inspection": _visit(province_admin, program, tree["c2a"])},
            "inspection_mismatch",
        ),
    ]
    for extra, code in cases:
        with pytest.raises(DispatchError) as exc_info:
            _notice(
                city_admin if code != "inspection_mismatch" else province_admin,
                program,
                tree["c1a"],
                **extra,
            )
        assert exc_info.value.code == code
    with pytest.raises(ForbiddenError):
        _notice(county_admin, program, tree["c1a"])
    assert not CriticismNotice.objects.exists()


def test_province_issued_notice_records_the_province_as_issuer(
    on_june_10, program, tree, province_admin
):
    assert _notice(province_admin, program, tree["c2a"]).issuer_division == tree["p"]


def test_overdue_is_derived_from_the_deadline(
    on_june_10, clock, program, tree, city_admin, province_admin
):
    notice = _notice(city_admin, program, tree["c1a"])

    clock.move_to(DEADLINE, hour=23, minute=59)
    notice.refresh_from_db()
    assert not notice.is_overdue
    assert not selectors.notice_list_for_user(
        user=province_admin, overdue_on=timezone.localdate()
    ).exists()

    clock.move_to(DEADLINE + dt.timedelta(days=1), hour=0, minute=1)
    assert notice.is_overdue
    assert list(
        selectors.notice_list_for_user(user=province_admin, overdue_on=timezone.localdate())
    ) == [notice]
    assert notice.status == NoticeStatus.OPEN  # overdue is not a stored state


def test_full_rectification_cycle(on_june_10, clock, program, tree, city_admin, county_admin):
    notice = _notice(city_admin, program, tree["c1a"])

    clock.move_to(dt.date(2022, 7, 1))
    notice = services.notice_rectify(actor=county_admin, notice=notice, report="已补齐台账。")
    assert notice.status == NoticeStatus.RECTIFIED
    assert notice.rectified_on == dt.date(2022, 7, 1)
    assert not notice.rectified_late

    notice = services.notice_return(
        actor=city_admin, notice=notice, reason="支出进度仍慢", rectify_by=dt.date(2022, 8, 10)
    )
    assert notice.status == NoticeStatus.OPEN
    assert notice.rectify_by == dt.date(2022, 8, 10)
    audit = AuditLog.objects.filter(object_type="dispatch.criticismnotice").latest("id")
    assert audit.changes["before"] == {"status": "rectified", "rectify_by": "2022-07-10"}

    clock.move_to(dt.date(2022, 8, 12))
    notice = services.notice_rectify(actor=county_admin, notice=notice, report="已加快支出。")
    assert notice.rectified_late
    notice = services.notice_close(actor=city_admin, notice=notice, note="整改到位")
    assert notice.status == NoticeStatus.CLOSED
    assert notice.closed_by == city_admin
    assert notice.closed_on == dt.date(2022, 8, 12)


def test_rectification_transitions_are_refused_out_of_turn(
    on_june_10,
    program,
    tree,
    city_admin,
    county_admin,
    other_county_admin,
    other_city_admin,
    province_admin,
):
    notice = _notice(city_admin, program, tree["c1a"])

    with pytest.raises(DispatchError) as exc_info:
        services.notice_close(actor=city_admin, notice=notice, note="")
    assert (exc_info.value.code, exc_info.value.status) == ("invalid_transition", 409)
    with pytest.raises(DispatchError) as exc_info:
        services.notice_return(actor=city_admin, notice=notice, reason="x")
    assert (exc_info.value.code, exc_info.value.status) == ("invalid_transition", 409)

    with pytest.raises(NotFoundError):
        services.notice_rectify(actor=other_county_admin, notice=notice, report="x")
    with pytest.raises(ForbiddenError):
        services.notice_rectify(actor=city_admin, notice=notice, report="x")
    with pytest.raises(DispatchError) as exc_info:
        services.notice_rectify(actor=county_admin, notice=notice, report=" ")
    assert exc_info.value.code == "report_required"

    notice = services.notice_rectify(actor=county_admin, notice=notice, report="已整改")
    with pytest.raises(DispatchError) as exc_info:
        services.notice_rectify(actor=county_admin, notice=notice, report="again")
    assert exc_info.value.code == "invalid_transition"
    with pytest.raises(NotFoundError):
        services.notice_close(actor=other_city_admin, notice=notice)
    with pytest.raises(ForbiddenError):
        services.notice_close(actor=county_admin, notice=notice)
    with pytest.raises(DispatchError) as exc_info:
        services.notice_return(actor=city_admin, notice=notice, reason=" ")
    assert exc_info.value.code == "reason_required"
    with pytest.raises(DispatchError) as exc_info:
        services.notice_return(
            actor=city_admin, notice=notice, reason="x", rectify_by=dt.date(2022, 6, 1)
        )
    assert exc_info.value.code == "invalid_deadline"

    # The province is above the issuing city: it may verify too.
    notice = services.notice_close(actor=province_admin, notice=notice)
    assert notice.status == NoticeStatus.CLOSED
    with pytest.raises(DispatchError) as exc_info:
        services.notice_return(actor=city_admin, notice=notice, reason="x")
    assert exc_info.value.code == "invalid_transition"


def test_a_city_cannot_verify_a_province_notice(
    on_june_10, program, tree, province_admin, city_admin, county_admin
):
    notice = _notice(province_admin, program, tree["c1a"])
    notice = services.notice_rectify(actor=county_admin, notice=notice, report="已整改")
    with pytest.raises(ForbiddenError):
        services.notice_close(actor=city_admin, notice=notice)
    assert services.notice_close(actor=province_admin, notice=notice).status == (
        NoticeStatus.CLOSED
    )


def test_no_one_verifies_their_own_rectification(
    on_june_10, program, tree, province_admin, city_admin
):
    from dibiao.projects.services import allocation_create
    from dibiao.testing.factories import ProductFactory

    # A product spanning counties is implemented by its city bureau: the city administrator
    # both answers a city notice about it and would be the one to verify it.
    product = ProductFactory.create(name="上党高粱", divisions=[tree["c1"]])
    allocation_create(actor=province_admin, program=program, product=product, amount="10.00")
    notice = _notice(city_admin, program, tree["c1"])
    notice = services.notice_rectify(actor=city_admin, notice=notice, report="已整改")
    with pytest.raises(DispatchError) as exc_info:
        services.notice_close(actor=city_admin, notice=notice)
    assert (exc_info.value.code, exc_info.value.status) == ("own_rectification", 403)
    colleague = user_with_role(
        Role.CITY_ADMIN, tree["c1"], organization=city_admin.memberships.get().organization
    )
    assert services.notice_close(actor=colleague, notice=notice).status == NoticeStatus.CLOSED


def test_supervision_continues_after_the_program_closes(
    on_june_10, program, tree, city_admin, province_admin
):
    program_transition(actor=province_admin, program=program, status=ProgramStatus.CLOSED)
    assert _visit(city_admin, program, tree["c1a"]).pk
