"""The province's side: scheme, opening the review (conflict rule), scoring, closing (aggregate,
trimming, rank) and the decision with its allocation; every refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.accounts.models import Membership
from dibiao.applications import selectors, services
from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import (
    Application,
    ApplicationEvent,
    ReviewAssignment,
    Score,
)
from dibiao.applications.scoring import CriterionSpec, aggregate, competition_ranks
from dibiao.applications.services import ScoreInput
from dibiao.applications.tests.builders import draft, full_scores, recommended
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import AuditLog
from dibiao.projects.models import Allocation, Program
from dibiao.testing.factories import OrganizationFactory, ProductFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(program, product, county_admin, county_gov, city_admin):
    return recommended(county_admin, county_gov, city_admin, program, product)


@pytest.fixture
def panel3(experts):
    return experts[:3]


@pytest.fixture
def under_review(program, application, province_admin, panel3):
    services.review_open(actor=province_admin, program=program, experts=panel3)
    application.refresh_from_db()
    return application


def _score_all(application, experts, points=None):
    for expert in experts:
        assignment = ReviewAssignment.objects.get(application=application, expert=expert)
        services.score_submit(
            actor=expert, assignment=assignment, scores=full_scores(application, points)
        )


@pytest.fixture
def scored(program, under_review, province_admin, panel3):
    _score_all(under_review, panel3)
    services.review_close(actor=province_admin, program=program)
    under_review.refresh_from_db()
    return under_review


# --- scheme ---------------------------------------------------------------------------------

CUSTOM = [
    CriterionSpec("方案", Decimal(60), Decimal(10)),
    CriterionSpec("预算", Decimal(40), Decimal(10)),
]


def test_province_sets_a_custom_scheme_and_experts_score_against_it(
    program, application, province_admin, panel3
):
    services.review_scheme_save(
        actor=province_admin, program=program, name="自定义方案", trimmed=False, criteria=CUSTOM
    )
    services.review_open(actor=province_admin, program=program, experts=panel3)
    assignment = ReviewAssignment.objects.filter(application=application).earliest("id")

    done = services.score_submit(
        actor=assignment.expert,
        assignment=assignment,
        scores=full_scores(application, [Decimal(5), Decimal("7.5")]),
    )

    assert done.total == Decimal("60.00")  # 5/10×60 + 7.5/10×40 = 30 + 30


@pytest.mark.parametrize(
    ("criteria", "code"),
    [
        ([CriterionSpec("方案", Decimal(60), Decimal(10))], "weights_not_100"),
        ([*CUSTOM, CriterionSpec("其他", Decimal(1), Decimal(1))], "weights_not_100"),
        ([], "criteria_required"),
        ([CriterionSpec("方案", Decimal(50), Decimal(10))] * 2, "invalid_criterion"),
        ([CriterionSpec("", Decimal(100), Decimal(10))], "invalid_criterion"),
        ([CriterionSpec("方案", Decimal(100), Decimal(0))], "invalid_amount"),
    ],
)
def test_invalid_scheme_is_refused(program, province_admin, criteria, code):
    with pytest.raises(ApplicationsError) as exc:
        services.review_scheme_save(
            actor=province_admin, program=program, name="方案", trimmed=False, criteria=criteria
        )
    assert exc.value.code == code


def test_scheme_is_locked_once_an_expert_is_assigned(program, under_review, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.review_scheme_save(
            actor=province_admin, program=program, name="改", trimmed=True, criteria=CUSTOM
        )
    assert exc.value.code == "scheme_locked"


def test_only_the_province_sets_the_scheme(program, city_admin):
    with pytest.raises(ForbiddenError):
        services.review_scheme_save(
            actor=city_admin, program=program, name="方案", trimmed=False, criteria=CUSTOM
        )


# --- opening the review ---------------------------------------------------------------------


def test_expert_from_the_applying_county_is_refused_and_nothing_is_written(
    program, application, province_admin, experts
):
    audit_before = AuditLog.objects.count()
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(actor=province_admin, program=program, experts=[experts[3]])
    assert exc.value.code == "expert_conflict"
    assert not ReviewAssignment.objects.exists()
    assert AuditLog.objects.count() == audit_before
    assert Program.objects.get(pk=program.pk).status == "open"


def test_expert_who_belongs_to_the_products_certificate_holder_is_refused(
    tree, program, application, province_admin, panel
):
    holder = OrganizationFactory.create(kind=OrganizationKind.PRODUCER, division=tree["c1"])
    application.product.certificate_holder = holder
    application.product.save()
    expert = user_with_role(Role.EXPERT, tree["p"], organization=panel)
    Membership.objects.create(user=expert, organization=holder, role=Role.PRODUCER)
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(actor=province_admin, program=program, experts=[expert])
    assert exc.value.code == "expert_conflict"


def test_expert_from_another_county_may_score(
    tree, program, county_admin, county_gov, city_admin, province_admin, experts
):
    """The c1a expert is refused for c1a's application but assigned to c2a's."""
    other_admin = user_with_role(Role.COUNTY_ADMIN, tree["c2a"])
    other_gov = user_with_role(Role.COUNTY_GOV, tree["c2a"])
    other_city = user_with_role(Role.CITY_ADMIN, tree["c2"])
    honey = ProductFactory.create(name="沁水刺槐蜂蜜", divisions=[tree["c2a"]])
    other = recommended(other_admin, other_gov, other_city, program, honey)

    services.review_open(
        actor=province_admin, program=program, experts=[experts[3]], applications=[other]
    )

    assert ReviewAssignment.objects.get().application == other


def test_not_an_expert_is_refused(program, application, province_admin, county_gov, panel3):
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(actor=province_admin, program=program, experts=[*panel3, county_gov])
    assert exc.value.code == "not_an_expert"


def test_open_without_experts_is_refused(program, application, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(actor=province_admin, program=program, experts=[])
    assert exc.value.code == "experts_required"


def test_open_with_nothing_recommended_is_a_conflict(
    program, product, county_admin, province_admin, panel3
):
    draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(actor=province_admin, program=program, experts=panel3)
    assert exc.value.code == "nothing_to_review"


def test_open_refuses_an_application_that_is_not_recommended(
    program, product, county_admin, province_admin, panel3
):
    application = draft(county_admin, program, product)
    with pytest.raises(ApplicationsError) as exc:
        services.review_open(
            actor=province_admin, program=program, experts=panel3, applications=[application]
        )
    assert exc.value.code == "invalid_transition"


@pytest.mark.parametrize("who", ["city_admin", "county_admin", "county_gov"])
def test_only_the_province_opens_the_review(program, application, panel3, request, who):
    with pytest.raises(ForbiddenError):
        services.review_open(actor=request.getfixturevalue(who), program=program, experts=panel3)


def test_adding_an_expert_later_keeps_the_existing_assignments(
    tree, program, under_review, province_admin, panel
):
    extra = user_with_role(Role.EXPERT, tree["p"], organization=panel)
    created = services.review_open(
        actor=province_admin, program=program, experts=[extra], applications=[under_review]
    )
    assert [a.expert for a in created] == [extra]
    assert under_review.assignments.count() == 4
    assert under_review.events.filter(to_status=ApplicationStatus.UNDER_REVIEW).count() == 1


# --- scoring --------------------------------------------------------------------------------


def test_expert_cannot_score_another_experts_assignment(under_review, panel3):
    theirs = ReviewAssignment.objects.get(application=under_review, expert=panel3[1])
    with pytest.raises(NotFoundError):
        services.score_submit(actor=panel3[0], assignment=theirs, scores=full_scores(under_review))


def test_unassigned_expert_cannot_score(under_review, experts):
    assignment = ReviewAssignment.objects.filter(application=under_review).earliest("id")
    with pytest.raises(NotFoundError):
        services.score_submit(
            actor=experts[3], assignment=assignment, scores=full_scores(under_review)
        )


def test_every_criterion_must_be_scored(under_review, panel3):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(
            actor=panel3[0], assignment=assignment, scores=full_scores(under_review)[:-1]
        )
    assert exc.value.code == "scores_incomplete"
    assert not Score.objects.exists()


@pytest.mark.parametrize("points", ["30.01", "-1", "x", "1.234"])
def test_points_outside_zero_to_max_are_refused(under_review, panel3, points):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    scores = full_scores(under_review)
    scores[0] = ScoreInput(scores[0].criterion_id, points)  # 实施方案可行性, out of 30
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(actor=panel3[0], assignment=assignment, scores=scores)
    assert exc.value.code in {"points_out_of_range", "invalid_points"}
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ASSIGNED


def test_unknown_or_repeated_criterion_is_refused(under_review, panel3):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    scores = full_scores(under_review)
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(
            actor=panel3[0], assignment=assignment, scores=[*scores, ScoreInput(999999, "1")]
        )
    assert exc.value.code == "unknown_criterion"
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(actor=panel3[0], assignment=assignment, scores=[*scores, scores[0]])
    assert exc.value.code == "duplicate_criterion"


def test_submitted_score_is_final(under_review, panel3):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    services.score_submit(actor=panel3[0], assignment=assignment, scores=full_scores(under_review))
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(
            actor=panel3[0],
            assignment=assignment,
            scores=full_scores(under_review, [Decimal(0)] * 5),
        )
    assert exc.value.code == "already_submitted"
    assignment.refresh_from_db()
    assert assignment.total == Decimal("100.00")


def test_expert_whose_role_was_revoked_cannot_score(under_review, panel3):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    Membership.objects.filter(user=panel3[0]).delete()
    expert = type(panel3[0]).objects.get(pk=panel3[0].pk)
    with pytest.raises(ForbiddenError):
        services.score_submit(actor=expert, assignment=assignment, scores=full_scores(under_review))


def test_recused_expert_cannot_score(under_review, panel3):
    assignment = ReviewAssignment.objects.get(application=under_review, expert=panel3[0])
    with pytest.raises(ApplicationsError) as exc:
        services.assignment_recuse(actor=panel3[0], assignment=assignment, reason="")
    assert exc.value.code == "comment_required"
    services.assignment_recuse(actor=panel3[0], assignment=assignment, reason="曾参与该方案编制")
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(
            actor=panel3[0], assignment=assignment, scores=full_scores(under_review)
        )
    assert exc.value.code == "recused"


def test_expert_sees_other_scores_only_after_submitting_their_own(
    under_review, panel3, province_admin
):
    first, second = panel3[0], panel3[1]
    a1 = ReviewAssignment.objects.get(application=under_review, expert=first)
    a2 = ReviewAssignment.objects.get(application=under_review, expert=second)
    services.score_submit(actor=first, assignment=a1, scores=full_scores(under_review))

    assert selectors.panel_scores_for_user(user=second, application=under_review) is None
    seen_by_first = selectors.panel_scores_for_user(user=first, application=under_review)
    assert seen_by_first is not None
    assert [a.expert for a in seen_by_first if a.status == "submitted"] == [first]
    seen_by_province = selectors.panel_scores_for_user(
        user=province_admin, application=under_review
    )
    assert seen_by_province is not None
    assert len(seen_by_province) == 3

    services.score_submit(actor=second, assignment=a2, scores=full_scores(under_review))
    seen_by_second = selectors.panel_scores_for_user(user=second, application=under_review)
    assert seen_by_second is not None
    assert {a.expert for a in seen_by_second if a.status == "submitted"} == {first, second}


def test_county_and_city_never_see_the_panels_scores(
    under_review, panel3, county_admin, city_admin
):
    _score_all(under_review, panel3)
    assert selectors.panel_scores_for_user(user=county_admin, application=under_review) is None
    assert selectors.panel_scores_for_user(user=city_admin, application=under_review) is None


# --- closing --------------------------------------------------------------------------------


def test_close_needs_three_submitted_scores_and_changes_nothing_otherwise(
    program, under_review, province_admin, panel3
):
    _score_all(under_review, panel3[:2])
    with pytest.raises(ApplicationsError) as exc:
        services.review_close(actor=province_admin, program=program)
    assert exc.value.code == "not_enough_scores"
    under_review.refresh_from_db()
    assert under_review.status == ApplicationStatus.UNDER_REVIEW
    assert under_review.score is None


@override_settings(DIBIAO_REVIEW_MIN_SCORES=2)
def test_minimum_number_of_scores_is_configurable(program, under_review, province_admin, panel3):
    _score_all(under_review, panel3[:2])
    (closed,) = services.review_close(actor=province_admin, program=program)
    assert closed.score_count == 2
    # The third expert's assignment stays unsubmitted and can no longer be submitted.
    late = ReviewAssignment.objects.get(application=under_review, expert=panel3[2])
    with pytest.raises(ApplicationsError) as exc:
        services.score_submit(actor=panel3[2], assignment=late, scores=full_scores(under_review))
    assert exc.value.code == "review_closed"


def test_trimmed_scheme_drops_the_highest_and_lowest_of_five(
    tree, program, application, province_admin, panel
):
    services.review_scheme_save(
        actor=province_admin,
        program=program,
        name="去极值方案",
        trimmed=True,
        criteria=[CriterionSpec("综合", Decimal(100), Decimal(100))],
    )
    five = [user_with_role(Role.EXPERT, tree["p"], organization=panel) for _ in range(5)]
    services.review_open(actor=province_admin, program=program, experts=five)
    for expert, points in zip(five, [95, 80, 82, 84, 40], strict=True):
        assignment = ReviewAssignment.objects.get(application=application, expert=expert)
        services.score_submit(
            actor=expert, assignment=assignment, scores=full_scores(application, [Decimal(points)])
        )

    (closed,) = services.review_close(actor=province_admin, program=program)

    assert closed.score == Decimal("82.00")  # mean of 80, 82, 84
    assert closed.score_count == 3


def test_untrimmed_aggregate_and_trimming_below_five():
    assert aggregate([Decimal(90), Decimal(80), Decimal(70)], trimmed=False) == Decimal("80.00")
    assert aggregate([Decimal(90), Decimal(80), Decimal(70)], trimmed=True) == Decimal("80.00")
    assert aggregate([Decimal(1), Decimal(2), Decimal(2)], trimmed=False) == Decimal("1.67")


def test_ranks_share_places_on_equal_scores():
    scores = [Decimal(90), Decimal(85), Decimal(85), Decimal(70)]
    assert competition_ranks(scores) == [1, 2, 2, 4]


def test_close_ranks_all_reviewed_applications_of_the_program(
    tree, program, application, province_admin, panel3
):
    other_admin = user_with_role(Role.COUNTY_ADMIN, tree["c1b"])
    other_gov = user_with_role(Role.COUNTY_GOV, tree["c1b"])
    city = Membership.objects.get(role=Role.CITY_ADMIN).user
    second = recommended(
        other_admin,
        other_gov,
        city,
        program,
        ProductFactory.create(name="第二产品", divisions=[tree["c1b"]]),
    )
    services.review_open(actor=province_admin, program=program, experts=panel3)
    _score_all(
        application, panel3, [Decimal(20), Decimal(20), Decimal(10), Decimal(10), Decimal(5)]
    )
    _score_all(second, panel3)

    services.review_close(actor=province_admin, program=program)

    ranking = list(selectors.ranking_for_user(user=province_admin, program=program))
    assert [(a.pk, a.rank, a.score) for a in ranking] == [
        (second.pk, 1, Decimal("100.00")),
        (application.pk, 2, Decimal("65.00")),
    ]


def test_close_with_nothing_under_review_is_a_conflict(program, scored, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.review_close(actor=province_admin, program=program)
    assert exc.value.code == "nothing_to_close"


@pytest.mark.parametrize("who", ["city_admin", "county_admin"])
def test_only_the_province_closes_the_review(program, under_review, panel3, request, who):
    _score_all(under_review, panel3)
    with pytest.raises(ForbiddenError):
        services.review_close(actor=request.getfixturevalue(who), program=program)


# --- deciding -------------------------------------------------------------------------------


def test_over_budget_selection_is_refused_with_nothing_written(program, scored, province_admin):
    from dibiao.core.errors import DomainError

    Program.objects.filter(pk=program.pk).update(total_budget=Decimal("1000000.00"))
    audit_before = AuditLog.objects.count()
    events_before = ApplicationEvent.objects.count()

    with pytest.raises(DomainError) as exc:
        services.application_decide(
            actor=province_admin, application=scored, selected=True, amount="2000000"
        )

    assert exc.value.code == "over_budget"
    scored.refresh_from_db()
    assert scored.status == ApplicationStatus.SCORED
    assert scored.allocation is None
    assert scored.funding_amount is None
    assert not Allocation.objects.exists()
    assert Program.objects.get(pk=program.pk).allocated_total == Decimal("0.00")
    assert ApplicationEvent.objects.count() == events_before
    assert AuditLog.objects.count() == audit_before


def test_funding_above_the_request_is_refused(scored, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.application_decide(
            actor=province_admin, application=scored, selected=True, amount="3000000.01"
        )
    assert exc.value.code == "funding_above_request"


def test_selection_needs_an_amount(scored, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.application_decide(actor=province_admin, application=scored, selected=True)
    assert exc.value.code == "amount_required"


def test_not_selected_needs_a_reason_and_allocates_nothing(scored, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.application_decide(actor=province_admin, application=scored, selected=False)
    assert exc.value.code == "comment_required"
    services.application_decide(
        actor=province_admin, application=scored, selected=False, comment="得分排名靠后"
    )
    scored.refresh_from_db()
    assert scored.status == ApplicationStatus.NOT_SELECTED
    assert not Allocation.objects.exists()


def test_decide_before_the_review_closes_is_a_conflict(under_review, province_admin):
    with pytest.raises(ApplicationsError) as exc:
        services.application_decide(
            actor=province_admin, application=under_review, selected=True, amount="1"
        )
    assert exc.value.code == "invalid_transition"


def test_decide_twice_is_a_conflict(scored, province_admin):
    services.application_decide(
        actor=province_admin, application=scored, selected=True, amount="2000000"
    )
    with pytest.raises(ApplicationsError) as exc:
        services.application_decide(
            actor=province_admin, application=scored, selected=False, comment="改"
        )
    assert exc.value.code == "invalid_transition"
    assert Allocation.objects.count() == 1


@pytest.mark.parametrize("who", ["city_admin", "county_admin"])
def test_only_the_province_decides(scored, request, who):
    with pytest.raises(ForbiddenError):
        services.application_decide(
            actor=request.getfixturevalue(who), application=scored, selected=True, amount="1"
        )


def test_other_county_cannot_see_the_application(scored, other_county_admin):
    with pytest.raises(NotFoundError):
        selectors.application_get_for_user(user=other_county_admin, pk=scored.pk)
    assert not selectors.application_list_for_user(user=other_county_admin).exists()
    assert Application.objects.restrict(other_county_admin).count() == 0
