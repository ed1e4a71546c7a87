"""Reads of applications and reviews, always through the scope or the expert's own assignments.

Applications are scoped by county (`Application.objects.restrict`): a county sees its own, a
city its counties', the province all of its province. Experts have no scope: they reach an
application only through an assignment of theirs, and see the other experts' scores on it only
once their own are submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership, User
from dibiao.accounts.scoping import scope_for
from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.models import (
    Application,
    ApplicationEvent,
    ReviewAssignment,
    ReviewCriterion,
    ReviewScheme,
    Score,
)
from dibiao.applications.permissions import can_manage_review
from dibiao.applications.scoring import DEFAULT_CRITERIA, DEFAULT_SCHEME_NAME, CriterionSpec
from dibiao.core.errors import NotFoundError
from dibiao.projects.models import Program

DECIDED = frozenset({ApplicationStatus.SELECTED, ApplicationStatus.NOT_SELECTED})


def _with_relations(qs: QuerySet[Application]) -> QuerySet[Application]:
    return qs.select_related("program", "product", "division__parent", "organization", "allocation")


def application_list_for_user(
    *, user: Any, program: int | None = None, status: str = "", q: str = ""
) -> QuerySet[Application]:
    qs = Application.objects.restrict(user)
    if program:
        qs = qs.filter(program_id=program)
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(
            Q(product__name__icontains=q)
            | Q(division__name__icontains=q)
            | Q(organization__name__icontains=q)
        )
    return _with_relations(qs).order_by("-program__year", "division__code", "product__name", "id")


def application_get_for_user(*, user: Any, pk: int) -> Application:
    application = (
        _with_relations(Application.objects.restrict(user))
        .prefetch_related("budget_lines", "targets")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise NotFoundError("未找到该申报。")
    return application


def application_events(*, application: Application) -> QuerySet[ApplicationEvent]:
    return application.events.select_related("actor").order_by("at", "id")


def score_visible_to(user: Any, application: Application) -> bool:
    """The aggregate score and rank: the province at once, the county and city once decided."""
    return can_manage_review(user) or application.status in DECIDED


def ranking_for_user(*, user: Any, program: Program) -> QuerySet[Application]:
    """The program's reviewed applications by rank (the province's view)."""
    qs = Application.objects.restrict(user).filter(program=program, score__isnull=False)
    return _with_relations(qs).order_by("rank", "-score", "id")


def review_progress_for_user(*, user: Any, program: Program) -> QuerySet[Application]:
    """The program's applications waiting for or in review, with their experts' progress."""
    qs = Application.objects.restrict(user).filter(
        program=program,
        status__in=[ApplicationStatus.RECOMMENDED, ApplicationStatus.UNDER_REVIEW],
    )
    return (
        _with_relations(qs)
        .annotate(
            assigned_count=Count("assignments"),
            submitted_count=Count(
                "assignments", filter=Q(assignments__status=AssignmentStatus.SUBMITTED)
            ),
            recused_count=Count(
                "assignments", filter=Q(assignments__status=AssignmentStatus.RECUSED)
            ),
        )
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=ReviewAssignment.objects.select_related("expert").order_by("id"),
            )
        )
        .order_by("status", "division__code", "id")
    )


def program_status_counts(*, user: Any, program: Program) -> dict[str, int]:
    rows = (
        Application.objects.restrict(user)
        .filter(program=program)
        .values("status")
        .annotate(n=Count("pk"))
    )
    return {row["status"]: row["n"] for row in rows}


# --- Scheme ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeView:
    """The scheme as it stands, or the default the program will get when review opens."""

    name: str
    trimmed: bool
    criteria: list[CriterionSpec]
    saved: bool


def scheme_for(*, program: Program) -> SchemeView:
    scheme = ReviewScheme.objects.filter(program=program).first()
    if scheme is None:
        return SchemeView(DEFAULT_SCHEME_NAME, False, list(DEFAULT_CRITERIA), saved=False)
    criteria = [
        CriterionSpec(c.name, c.weight, c.max_points)
        for c in scheme.criteria.order_by("position", "id")
    ]
    return SchemeView(scheme.name, scheme.trimmed, criteria, saved=True)


def criteria_for(*, program_id: int) -> list[ReviewCriterion]:
    return list(
        ReviewCriterion.objects.filter(scheme__program_id=program_id).order_by("position", "id")
    )


# --- Experts and their assignments ----------------------------------------------------------


def expert_list_for_user(*, user: Any) -> QuerySet[User]:
    """Active experts of organizations in the user's scope (for the province: its province)."""
    memberships = Membership.objects.filter(
        role=Role.EXPERT,
        organization__is_active=True,
        organization__division_id__in=scope_for(user).division_ids,
    )
    return (
        User.objects.filter(is_active=True, pk__in=memberships.values("user_id"))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organization__division"),
            )
        )
        .order_by("username")
    )


def assignment_list_for_user(*, user: Any, status: str = "") -> QuerySet[ReviewAssignment]:
    """The expert's own assignments; nobody else's."""
    if not getattr(user, "is_authenticated", False):
        return ReviewAssignment.objects.none()
    qs = ReviewAssignment.objects.filter(expert_id=user.pk)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related(
        "application__program", "application__product", "application__division__parent"
    ).order_by("-assigned_at", "-id")


def assignment_get_for_user(*, user: Any, pk: int) -> ReviewAssignment:
    assignment = (
        assignment_list_for_user(user=user)
        .select_related("application__organization")
        .prefetch_related(
            "application__budget_lines",
            "application__targets",
            Prefetch("scores", queryset=Score.objects.select_related("criterion")),
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        raise NotFoundError("未找到该评审任务。")
    return assignment


def panel_scores_for_user(*, user: Any, application: Application) -> list[ReviewAssignment] | None:
    """Every expert's submitted scores on the application, or None when the user may not see
    them yet: the province (in scope) always may; an expert only after submitting their own."""
    in_scope = Application.objects.restrict(user).filter(pk=application.pk).exists()
    own_submitted = ReviewAssignment.objects.filter(
        application=application, expert_id=user.pk, status=AssignmentStatus.SUBMITTED
    ).exists()
    if not ((can_manage_review(user) and in_scope) or own_submitted):
        return None
    return list(
        ReviewAssignment.objects.filter(application=application)
        .select_related("expert")
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .order_by("id")
    )


def totals_of(assignments: list[ReviewAssignment]) -> list[Decimal]:
    return [
        a.total
        for a in assignments
        if a.status == AssignmentStatus.SUBMITTED and a.total is not None
    ]
