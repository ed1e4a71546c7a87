"""The expert review: opening it (with the conflict rule), the experts' scores and recusals,
closing it (aggregate and rank), and the province's decision with its funds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import Membership, User
from dibiao.accounts.permissions import has_role
from dibiao.accounts.scoping import scope_for
from dibiao.applications.choices import ApplicationStatus, AssignmentStatus
from dibiao.applications.conflicts import conflicts_among
from dibiao.applications.errors import ApplicationsError
from dibiao.applications.models import (
    Application,
    ReviewAssignment,
    ReviewCriterion,
    ReviewScheme,
    Score,
)
from dibiao.applications.scoring import (
    aggregate,
    competition_ranks,
    counted,
    min_scores,
    weighted_total,
)
from dibiao.applications.services.common import (
    check_step,
    lock_application,
    lock_program,
    money,
    parse_decimal,
    take_step,
    yuan,
)
from dibiao.applications.services.scheme import require_province, scheme_ensure
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Program
from dibiao.projects.services import allocation_create, program_transition


@dataclass(frozen=True)
class ScoreInput:
    criterion_id: int
    points: Decimal | str
    comment: str = ""


def _experts(actor: User, experts: Sequence[User]) -> list[User]:
    """The chosen users, each an active expert of an organization in the actor's province."""
    if not experts:
        raise ApplicationsError("experts_required", "请选择评审专家。")
    ids = {e.pk for e in experts}
    valid = set(
        Membership.objects.filter(
            user_id__in=ids,
            user__is_active=True,
            role=Role.EXPERT,
            organization__is_active=True,
            organization__division_id__in=scope_for(actor).division_ids,
        ).values_list("user_id", flat=True)
    )
    invalid = [str(e) for e in experts if e.pk not in valid]
    if invalid:
        raise ApplicationsError("not_an_expert", f"{'、'.join(invalid)}不是本省在册的评审专家。")
    return sorted({e.pk: e for e in experts}.values(), key=lambda e: e.pk)


def _review_targets(
    actor: User, program: Program, applications: Sequence[Application] | None
) -> list[Application]:
    qs = Application.objects.restrict(actor).filter(program=program)
    if applications is None:
        chosen = list(qs.filter(status=ApplicationStatus.RECOMMENDED))
    else:
        ids = {a.pk for a in applications}
        chosen = list(qs.filter(pk__in=ids))
        if len(chosen) != len(ids):
            raise ApplicationsError("invalid_application", "所选申报不属于该保护工程。")
    allowed = {ApplicationStatus.RECOMMENDED, ApplicationStatus.UNDER_REVIEW}
    wrong = [a for a in chosen if a.status not in allowed]
    if wrong:
        raise ApplicationsError(
            "invalid_transition",
            f"“{wrong[0].product.name}”当前为“{wrong[0].get_status_display()}”，不能安排专家评审。",
            status=409,
        )
    if not chosen:
        raise ApplicationsError("nothing_to_review", "没有待评审（市已推荐）的申报。", status=409)
    return sorted(chosen, key=lambda a: a.pk)


@transaction.atomic
def review_open(
    *,
    actor: User,
    program: Program,
    experts: Sequence[User],
    applications: Sequence[Application] | None = None,
) -> list[ReviewAssignment]:
    """省级专家评审: the province assigns experts to the recommended applications (all of them,
    or the ones given) and opens their review; the program moves to "reviewing" if it was open.
    Also adds experts to applications already under review (e.g. after a recusal).

    An expert in conflict with an application (conflicts.py) is refused with `expert_conflict`
    and nothing is assigned: the province chooses again, for example per application.
    """
    program = require_province(actor, program)
    if program.status not in (ProgramStatus.OPEN, ProgramStatus.REVIEWING):
        raise ApplicationsError(
            "program_not_reviewing",
            f"“{program.name}”当前为“{ProgramStatus(program.status).label}”，不能组织评审。",
            status=409,
        )
    chosen_experts = _experts(actor, experts)
    targets = _review_targets(actor, program, applications)
    conflicts = conflicts_among(chosen_experts, targets)
    if conflicts:
        raise ApplicationsError("expert_conflict", conflicts[0].message)
    if program.status == ProgramStatus.OPEN:
        program_transition(actor=actor, program=program, status=ProgramStatus.REVIEWING)
    lock_program(program.pk)
    scheme_ensure(actor, program)
    created: list[ReviewAssignment] = []
    for target in targets:
        application = lock_application(actor, target)
        if application.status == ApplicationStatus.RECOMMENDED:
            step = check_step(actor, application, "open_review")
            take_step(actor=actor, application=application, transition=step)
        elif application.status != ApplicationStatus.UNDER_REVIEW:
            raise ApplicationsError("invalid_transition", "申报状态已变化，请刷新。", status=409)
        assigned = set(application.assignments.values_list("expert_id", flat=True))
        for expert in chosen_experts:
            if expert.pk in assigned:
                continue
            assignment = ReviewAssignment.objects.create(
                application=application, expert=expert, assigned_by=actor
            )
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                obj=assignment,
                changes={"after": model_snapshot(assignment)},
                detail=f"指派评审专家：{expert}",
            )
            created.append(assignment)
    return created


def _lock_own_assignment(actor: User, assignment: ReviewAssignment) -> ReviewAssignment:
    """The actor's own assignment, locked after its application (lock order); else 404."""
    owned = ReviewAssignment.objects.filter(pk=assignment.pk, expert=actor).first()
    if owned is None:
        raise NotFoundError("未找到该评审任务。")
    if not has_role(actor, Role.EXPERT):
        raise ForbiddenError("您已不是评审专家。")
    # Locking the application makes a close wait for this submission (or this submission see
    # the close): a score is either counted or refused, never lost.
    application = Application.objects.select_for_update().get(pk=owned.application_id)
    locked = ReviewAssignment.objects.select_for_update().get(pk=owned.pk)
    if application.status != ApplicationStatus.UNDER_REVIEW:
        raise ApplicationsError("review_closed", "该申报的评审已结束。", status=409)
    if locked.status == AssignmentStatus.SUBMITTED:
        raise ApplicationsError("already_submitted", "评分已提交，不能修改。", status=409)
    if locked.status == AssignmentStatus.RECUSED:
        raise ApplicationsError("recused", "您已回避该申报的评审。", status=409)
    return locked


@transaction.atomic
def score_submit(
    *,
    actor: User,
    assignment: ReviewAssignment,
    scores: Sequence[ScoreInput],
    opinion: str = "",
) -> ReviewAssignment:
    """The assigned expert scores every criterion, once: a submitted score is final."""
    assignment = _lock_own_assignment(actor, assignment)
    criteria = {
        c.pk: c
        for c in ReviewCriterion.objects.filter(
            scheme__program_id=assignment.application.program_id
        )
    }
    given: dict[int, ScoreInput] = {}
    for item in scores:
        if item.criterion_id not in criteria:
            raise ApplicationsError("unknown_criterion", "评分中有不属于本评审方案的评审内容。")
        if item.criterion_id in given:
            raise ApplicationsError("duplicate_criterion", "同一评审内容只能评一次分。")
        given[item.criterion_id] = item
    missing = [c.name for pk, c in criteria.items() if pk not in given]
    if missing:
        raise ApplicationsError("scores_incomplete", f"请为以下内容评分：{'、'.join(missing)}。")
    now = timezone.now()
    rows: list[Score] = []
    for pk, item in given.items():
        criterion = criteria[pk]
        points = parse_decimal(item.points, f"“{criterion.name}”的得分", code="invalid_points")
        if not Decimal(0) <= points <= criterion.max_points:
            raise ApplicationsError(
                "points_out_of_range",
                f"“{criterion.name}”的得分应在 0 到 {criterion.max_points.normalize():f} 之间。",
            )
        rows.append(
            Score(
                assignment=assignment,
                criterion=criterion,
                points=points,
                comment=item.comment.strip()[:500],
                submitted_at=now,
            )
        )
    Score.objects.bulk_create(rows)
    assignment.total = weighted_total(
        (row.points, row.criterion.max_points, row.criterion.weight) for row in rows
    )
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.opinion = opinion.strip()
    assignment.submitted_at = now
    assignment.save(update_fields=["total", "status", "opinion", "submitted_at"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=assignment,
        changes={
            "before": {"status": AssignmentStatus.ASSIGNED},
            "after": {
                "status": AssignmentStatus.SUBMITTED,
                "total": str(assignment.total),
                "scores": {row.criterion.name: str(row.points) for row in rows},
            },
        },
        detail="提交评分",
    )
    return assignment


@transaction.atomic
def assignment_recuse(
    *, actor: User, assignment: ReviewAssignment, reason: str
) -> ReviewAssignment:
    """An expert who finds a conflict the rule did not catch steps aside (主动回避)."""
    assignment = _lock_own_assignment(actor, assignment)
    if not reason.strip():
        raise ApplicationsError("comment_required", "请说明回避原因。")
    assignment.status = AssignmentStatus.RECUSED
    assignment.recusal_reason = reason.strip()[:300]
    assignment.save(update_fields=["status", "recusal_reason"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=assignment,
        changes={
            "before": {"status": AssignmentStatus.ASSIGNED},
            "after": {"status": AssignmentStatus.RECUSED},
        },
        detail=f"回避：{assignment.recusal_reason}",
    )
    return assignment


def _rerank(program: Program) -> dict[int, int]:
    rows = [
        (pk, score)
        for pk, score in Application.objects.filter(program=program, score__isnull=False)
        .order_by("-score", "id")
        .values_list("pk", "score")
        if score is not None
    ]
    ranks = competition_ranks([score for _, score in rows])
    result: dict[int, int] = {}
    for (pk, _), rank in zip(rows, ranks, strict=True):
        Application.objects.filter(pk=pk).update(rank=rank)
        result[pk] = rank
    return result


@transaction.atomic
def review_close(
    *, actor: User, program: Program, applications: Sequence[Application] | None = None
) -> list[Application]:
    """The province ends the review of the applications under review (all, or the ones given):
    each needs at least `min_scores()` submitted expert scores; its aggregate is stored and the
    program's scored applications are ranked. Experts who have not submitted by then are left
    out (their assignments stay "assigned" and can no longer be submitted)."""
    program = require_province(actor, program)
    lock_program(program.pk)
    if program.status != ProgramStatus.REVIEWING:
        raise ApplicationsError(
            "program_not_reviewing",
            f"“{program.name}”当前为“{ProgramStatus(program.status).label}”，不在评审阶段。",
            status=409,
        )
    qs = Application.objects.restrict(actor).filter(program=program)
    if applications is None:
        qs = qs.filter(status=ApplicationStatus.UNDER_REVIEW)
    else:
        qs = qs.filter(pk__in=[a.pk for a in applications])
    targets = [lock_application(actor, a) for a in qs.order_by("pk")]
    wrong = [a for a in targets if a.status != ApplicationStatus.UNDER_REVIEW]
    if wrong and applications is not None:
        raise ApplicationsError(
            "invalid_transition",
            f"“{wrong[0].product.name}”当前为“{wrong[0].get_status_display()}”，不在评审中。",
            status=409,
        )
    targets = [a for a in targets if a.status == ApplicationStatus.UNDER_REVIEW]
    if not targets:
        raise ApplicationsError("nothing_to_close", "没有评审中的申报。", status=409)
    scheme = ReviewScheme.objects.get(program=program)
    needed = min_scores()
    totals: dict[int, list[Decimal]] = {}
    short: list[str] = []
    for application in targets:
        submitted = list(
            application.assignments.filter(status=AssignmentStatus.SUBMITTED).values_list(
                "total", flat=True
            )
        )
        totals[application.pk] = [t for t in submitted if t is not None]
        if len(totals[application.pk]) < needed:
            short.append(f"{application.product.name}（{len(totals[application.pk])} 份）")
    if short:
        raise ApplicationsError(
            "not_enough_scores",
            f"每份申报至少需要 {needed} 位专家提交评分：{'、'.join(short)}。",
            status=409,
        )
    for application in targets:
        kept = counted(totals[application.pk], trimmed=scheme.trimmed)
        take_step(
            actor=actor,
            application=application,
            transition=check_step(actor, application, "close_review"),
            fields={
                "score": aggregate(totals[application.pk], trimmed=scheme.trimmed),
                "score_count": len(kept),
            },
            comment=f"{len(totals[application.pk])} 位专家评分"
            + ("，去掉一个最高分和一个最低分" if len(kept) < len(totals[application.pk]) else ""),
        )
    ranks = _rerank(program)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=program,
        changes={"after": {"ranks": {str(pk): rank for pk, rank in ranks.items()}}},
        detail=f"评审结束 {len(targets)} 份，排名已更新",
    )
    for application in targets:
        application.rank = ranks[application.pk]
    return targets


@transaction.atomic
def application_decide(
    *,
    actor: User,
    application: Application,
    selected: bool,
    amount: Decimal | str | None = None,
    comment: str = "",
) -> Application:
    """省级确定: selected with its funding (an allocation of the program, created in the same
    transaction, so a selection beyond the budget fails whole) or not selected with a reason."""
    lock_program(application.program_id)
    application = lock_application(actor, application)
    step = check_step(actor, application, "select" if selected else "reject")
    fields: dict[str, Any] = {"decided_at": timezone.now()}
    if selected:
        if amount is None or str(amount).strip() == "":
            raise ApplicationsError("amount_required", "请填写确定的补助资金。")
        funding = money(amount, "补助资金")
        if funding > application.requested_amount:
            raise ApplicationsError(
                "funding_above_request",
                f"补助资金不能超过申请的 {yuan(application.requested_amount)}。",
            )
        allocation = allocation_create(
            actor=actor,
            program=application.program,
            product=application.product,
            amount=funding,
            division=application.division,
        )
        fields.update(funding_amount=funding, allocation=allocation)
    return take_step(
        actor=actor, application=application, transition=step, comment=comment, fields=fields
    )
