"""The whole pipeline through the services, for a new 2022 program: a county applies, its
government confirms, the city recommends, the province opens the review (the expert from the
applying county is refused), three experts score, the province closes the review and selects
the application with its funds. Every step is in the audit log and in the history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dibiao.applications import services
from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import Application, ReviewAssignment
from dibiao.applications.tests.builders import REQUEST, draft, full_scores
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program

pytestmark = pytest.mark.django_db


def _audit(obj_type: str, action: str, object_id=None) -> int:
    rows = AuditLog.objects.filter(object_type=obj_type, action=action)
    if object_id is not None:
        rows = rows.filter(object_id=str(object_id))
    return rows.count()


def test_full_pipeline_from_county_application_to_allocation(
    tree, program, product, county_admin, county_gov, city_admin, province_admin, experts
):
    # 县农业农村局申报
    application = draft(county_admin, program, product)
    assert application.status == ApplicationStatus.DRAFT
    assert application.division == tree["c1a"]
    assert application.organization.division == tree["c1a"]
    assert application.targets.count() == program.targets.count()
    services.application_submit(actor=county_admin, application=application)
    # 县人民政府审核确认
    services.application_confirm(actor=county_gov, application=application, comment="同意申报")
    # 市农业农村局推荐
    services.application_recommend(actor=city_admin, application=application, comment="推荐")

    # 省级专家评审: the expert from the applying county is refused and nothing is assigned.
    with pytest.raises(ApplicationsError) as refused:
        services.review_open(actor=province_admin, program=program, experts=experts)
    assert refused.value.code == "expert_conflict"
    assert "expert_c1a" in refused.value.message or "县农业技术推广中心" in refused.value.message
    assert not ReviewAssignment.objects.exists()
    assert Program.objects.get(pk=program.pk).status == ProgramStatus.OPEN
    application.refresh_from_db()
    assert application.status == ApplicationStatus.RECOMMENDED

    panel = experts[:3]
    assignments = services.review_open(actor=province_admin, program=program, experts=panel)
    assert len(assignments) == 3
    assert Program.objects.get(pk=program.pk).status == ProgramStatus.REVIEWING
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW

    # Three experts score: 100, 85 and 70.6 out of 100.
    points = [
        [Decimal(30), Decimal(25), Decimal(20), Decimal(15), Decimal(10)],
        [Decimal(26), Decimal(21), Decimal(17), Decimal(12), Decimal(9)],
        [Decimal("21.5"), Decimal("17.6"), Decimal(14), Decimal("10.5"), Decimal(7)],
    ]
    for assignment, expert_points in zip(assignments, points, strict=True):
        done = services.score_submit(
            actor=assignment.expert,
            assignment=assignment,
            scores=full_scores(application, expert_points),
            opinion="方案可行",
        )
        assert done.status == AssignmentStatus.SUBMITTED
    totals = sorted(t for t in ReviewAssignment.objects.values_list("total", flat=True) if t)
    assert totals == [Decimal("70.60"), Decimal("85.00"), Decimal("100.00")]

    (closed,) = services.review_close(actor=province_admin, program=program)
    assert closed.status == ApplicationStatus.SCORED
    assert closed.score == Decimal("85.20")  # (100 + 85 + 70.6) / 3 = 85.2
    assert closed.score_count == 3
    assert closed.rank == 1

    # 省级确定: selected with 2,700,000 yuan, allocated in the same transaction.
    decided = services.application_decide(
        actor=province_admin,
        application=closed,
        selected=True,
        amount="2700000.00",
        comment="入选",
    )
    assert decided.status == ApplicationStatus.SELECTED
    allocation = Allocation.objects.get(program=program, product=product)
    assert allocation.amount == Decimal("2700000.00")
    assert allocation.division == tree["c1a"]
    assert decided.allocation == allocation
    assert decided.funding_amount == Decimal("2700000.00")
    program.refresh_from_db()
    assert program.allocated_total == Decimal("2700000.00")
    assert program.unallocated == Decimal("7300000.00")
    assert decided.requested_amount == REQUEST

    # History: creation and six steps, each by the right role.
    events = list(application.events.order_by("at", "id"))
    assert [(e.from_status, e.to_status, e.role) for e in events] == [
        ("", "draft", "county_admin"),
        ("draft", "submitted", "county_admin"),
        ("submitted", "confirmed", "county_gov"),
        ("confirmed", "recommended", "city_admin"),
        ("recommended", "under_review", "province_admin"),
        ("under_review", "scored", "province_admin"),
        ("scored", "selected", "province_admin"),
    ]
    assert [e.actor for e in events] == [
        county_admin,
        county_admin,
        county_gov,
        city_admin,
        province_admin,
        province_admin,
        province_admin,
    ]

    # Audit log: every step.
    app_id = application.pk
    assert _audit("applications.application", AuditAction.CREATE, app_id) == 1
    assert _audit("applications.application", AuditAction.TRANSITION, app_id) == 6
    transitions = AuditLog.objects.filter(
        object_type="applications.application", action=AuditAction.TRANSITION
    ).order_by("id")
    assert [(r.username, r.changes["after"]["status"]) for r in transitions] == [
        (county_admin.username, "submitted"),
        (county_gov.username, "confirmed"),
        (city_admin.username, "recommended"),
        (province_admin.username, "under_review"),
        (province_admin.username, "scored"),
        (province_admin.username, "selected"),
    ]
    assert _audit("applications.reviewassignment", AuditAction.CREATE) == 3
    assert _audit("applications.reviewassignment", AuditAction.TRANSITION) == 3
    assert _audit("applications.reviewscheme", AuditAction.CREATE) == 1
    assert _audit("projects.program", AuditAction.TRANSITION, program.pk) == 2  # open, reviewing
    assert _audit("projects.allocation", AuditAction.CREATE, allocation.pk) == 1
    assert Application.objects.count() == 1
