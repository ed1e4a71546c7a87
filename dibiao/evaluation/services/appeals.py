"""Appeals (申诉) against a published result: the evaluated implementing body contests one
item with its reason; the evaluator accepts it (re-scoring the item, which moves the total and
the ranking) or rejects it, with its own reason. Both steps are audited.

| from | to | who | service |
|---|---|---|---|
| — | `pending` 待处理 | the implementing body of the evaluated product, round published | `appeal_file` |
| `pending` | `accepted` 已采纳 (new points) / `rejected` 已驳回 | the round's evaluator, with a reason | `appeal_decide` |
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.audit import audit_record, model_snapshot
from dibiao.core.choices import AuditAction
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.evaluation.choices import AppealStatus, RoundStatus
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.models import Appeal, Evaluation, EvaluationRound, ItemScore
from dibiao.evaluation.permissions import can_appeal
from dibiao.evaluation.services.rounds import lock_round, rerank, score_points


def _require_open(round_: EvaluationRound) -> None:
    if round_.status != RoundStatus.PUBLISHED:
        state = "尚未公布" if round_.status == RoundStatus.DRAFT else "已定案"
        raise EvaluationError("appeal_closed", f"考评{state}，不在申诉期内。", status=409)


@transaction.atomic
def appeal_file(*, actor: User, score: ItemScore, reason: str) -> Appeal:
    evaluation = (
        Evaluation.objects.restrict(actor)
        .select_related("allocation__division", "round")
        .filter(pk=score.evaluation_id)
        .first()
    )
    if evaluation is None:
        raise NotFoundError("未找到该考评得分。")
    if not can_appeal(actor, evaluation):
        raise ForbiddenError("只有被考评产品的实施主体可以申诉。")
    # The round row serializes appeals with the evaluator's decisions and closing.
    round_ = EvaluationRound.objects.select_for_update().get(pk=evaluation.round_id)
    _require_open(round_)
    score = ItemScore.objects.select_related("item").get(pk=score.pk)
    if not reason.strip():
        raise EvaluationError("reason_required", "请填写申诉理由。")
    if Appeal.objects.filter(score=score, status=AppealStatus.PENDING).exists():
        raise EvaluationError("appeal_pending", "该项已有待处理的申诉。", status=409)
    appeal = Appeal.objects.create(
        score=score,
        reason=reason.strip(),
        filed_by=actor,
        points_before=score.points if score.points is not None else Decimal(0),
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=appeal,
        changes={"after": model_snapshot(appeal)},
    )
    return appeal


@transaction.atomic
def appeal_decide(
    *,
    actor: User | None,
    appeal: Appeal,
    accept: bool,
    decision: str,
    points: Decimal | str | int | None = None,
) -> Appeal:
    round_ = Evaluation.objects.get(pk=appeal.score.evaluation_id).round
    round_ = lock_round(actor, round_)
    _require_open(round_)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != AppealStatus.PENDING:
        raise EvaluationError(
            "already_decided", f"该申诉已{appeal.get_status_display()}。", status=409
        )
    if not decision.strip():
        raise EvaluationError("reason_required", "请填写处理意见。")
    score = (
        ItemScore.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=appeal.score_id)
    )
    before = score.points
    if accept:
        if points is None or points == "":
            raise EvaluationError("invalid_points", "采纳申诉时请填写调整后的得分。")
        new_points = score_points(points, score.item)
        score.points = new_points
        score.scored_by = actor
        score.scored_at = timezone.now()
        score.save(update_fields=["points", "scored_by", "scored_at"])
        rerank(round_)
        appeal.points_after = new_points
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            obj=score,
            detail=f"采纳申诉 #{appeal.pk}",
            changes={
                "before": {"points": str(before)},
                "after": {"points": str(new_points)},
            },
        )
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decision = decision.strip()
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save(update_fields=["status", "decision", "decided_by", "decided_at", "points_after"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=appeal,
        detail=appeal.decision,
        changes={
            "before": {"status": AppealStatus.PENDING},
            "after": {"status": appeal.status, "points_after": str(appeal.points_after or "")},
        },
    )
    return appeal
