"""Evaluation rounds: created by the evaluating city or province, computed from the indicators,
scored by the evaluator, published (locked) and closed.

| from | to | who | service |
|---|---|---|---|
| — | `draft` 评分中 (computed) | city admin of its city / province admin | `round_create` |
| `draft` | `draft` (indicators read again) | the evaluator | `round_compute` |
| `draft` | `draft` (a manual item scored) | the evaluator | `score_enter` |
| `draft` | `published` 已公布（申诉期）| the evaluator, every item scored | `round_publish` |
| `published` | `closed` 已定案 | the evaluator, no appeal pending | `round_close` |
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from dibiao.accounts.choices import Role
from dibiao.accounts.models import User
from dibiao.accounts.permissions import holds_role_at, role_places
from dibiao.accounts.scoping import scope_for
from dibiao.applications.scoring import competition_ranks
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction, DivisionLevel
from dibiao.core.errors import ForbiddenError, NotFoundError
from dibiao.core.models import Division
from dibiao.evaluation.choices import AppealStatus, ItemMethod, RoundLevel, RoundStatus
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.indicators import ProductIndicators, indicators_compute
from dibiao.evaluation.models import (
    Appeal,
    Evaluation,
    EvaluationRound,
    EvaluationScheme,
    ItemScore,
    SchemeItem,
)
from dibiao.evaluation.permissions import EVALUATOR_ROLE, is_evaluator
from dibiao.evaluation.rules import Figure, apply_rule, rule_indicators
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program
from dibiao.projects.selectors import program_list_for_user

_EVALUATOR_ONLY = "只有组织本次考评的市级或省级管理员可以办理。"
UNDER_WAY = (ProgramStatus.IMPLEMENTING, ProgramStatus.CLOSED)


def lock_round(actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    """The round, locked. A round the actor cannot see at all is a 404; one it sees (an
    evaluated county sees its round) but does not evaluate is a 403."""
    # Only the round's row (`of`): the program row is the fund ledger's to lock, in its order.
    locked = (
        EvaluationRound.objects.select_for_update(of=("self",))
        .select_related("program", "scheme", "division")
        .filter(pk=round_.pk)
        .first()
    )
    if locked is None:
        raise NotFoundError("未找到该考评。")
    if actor is not None and not is_evaluator(actor, locked):
        visible = (
            locked.division_id in scope_for(actor).division_ids
            or Evaluation.objects.restrict(actor).filter(round=locked).exists()
        )
        if not visible:
            raise NotFoundError("未找到该考评。")
        raise ForbiddenError(_EVALUATOR_ONLY)
    return locked


def _require_draft(round_: EvaluationRound) -> None:
    if round_.status != RoundStatus.DRAFT:
        raise EvaluationError(
            "round_locked",
            f"考评已{round_.get_status_display()}，得分已锁定，不能再修改（可通过申诉调整）。",
            status=409,
        )


def _evaluated_allocations(division: Division, scheme: EvaluationScheme) -> list[Allocation]:
    rows = Allocation.objects.filter(program=scheme.program)
    if division.level == DivisionLevel.CITY:
        # A city evaluates its counties; a product it implements itself is the province's.
        rows = rows.filter(division__parent=division, division__level=DivisionLevel.COUNTY)
    return list(rows.select_related("product", "division").order_by("product__name", "pk"))


def _evaluating_division(
    actor: User | None, program: Program, division: Division | None
) -> Division:
    """The division of the evaluating bureau: the one asked for, else the actor's own (the
    province's department before a city's bureau)."""
    province = program.province
    if division is None:
        if actor is None:
            raise EvaluationError("invalid_round", "请指定考评单位所在地区。")
        places = role_places(actor)
        if (Role.PROVINCE_ADMIN, province.pk) in places:
            return province
        city = (
            Division.objects.filter(
                pk__in=[d for role, d in places if role == Role.CITY_ADMIN], parent=province
            )
            .order_by("code")
            .first()
        )
        if city is None:
            raise ForbiddenError("只有市级或省级管理员可以组织考评。")
        return city
    if division.pk != province.pk and (
        division.level != DivisionLevel.CITY or division.parent_id != province.pk
    ):
        raise EvaluationError("invalid_round", "考评单位应为本省或本省的市。")
    return division


def _figures(row: ProductIndicators, codes: tuple[str, ...]) -> dict[str, Figure]:
    return {
        code: Figure(value=v.value, target=v.target, status=v.status)
        for code in codes
        for v in (row.get(code),)
    }


def _basis(row: ProductIndicators, codes: tuple[str, ...], explanation: str) -> dict[str, Any]:
    def number(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "explanation": explanation,
        "indicators": {
            code: {
                "name": v.indicator.name,
                "value": number(v.value),
                "target": number(v.target),
                "comparison": v.indicator.comparison,
                "unit": v.indicator.unit,
                "status": v.status,
                "detail": v.detail,
                "evidence_count": v.evidence.count,
            }
            for code in codes
            for v in (row.get(code),)
        },
    }


def rerank(round_: EvaluationRound) -> None:
    """Totals from the points and the round's ranking (equal totals share a rank)."""
    evaluations = list(
        Evaluation.objects.filter(round=round_)
        .annotate(sum_points=Sum("scores__points"))
        .order_by("pk")
    )
    for evaluation in evaluations:
        evaluation.total = evaluation.sum_points or Decimal(0)
    evaluations.sort(key=lambda e: (-e.total, e.pk))
    for evaluation, rank in zip(
        evaluations, competition_ranks([e.total for e in evaluations]), strict=True
    ):
        evaluation.rank = rank
    Evaluation.objects.bulk_update(evaluations, ["total", "rank"])


def _compute(round_: EvaluationRound) -> None:
    """Compute the computed items from the indicators as of the round's date; manual items keep
    what the evaluator entered."""
    items = list(round_.scheme.items.order_by("position", "pk"))
    computed = [i for i in items if i.method == ItemMethod.COMPUTED]
    evaluations = list(
        Evaluation.objects.filter(round=round_).select_related("allocation").order_by("pk")
    )
    codes = sorted({c for i in computed for c in rule_indicators(i.rule, i.indicators)})
    whole = round_.level == RoundLevel.PROVINCE
    rows = (
        {
            row.allocation.pk: row
            for row in indicators_compute(
                program=round_.program,
                allocations=None if whole else [e.allocation for e in evaluations],
                as_of=round_.as_of,
                codes=codes,
            )
        }
        if codes
        else {}
    )
    existing = {
        (s.evaluation_id, s.item_id): s for s in ItemScore.objects.filter(evaluation__round=round_)
    }
    now = timezone.now()
    to_create: list[ItemScore] = []
    to_update: list[ItemScore] = []
    for evaluation in evaluations:
        for item in items:
            score = existing.get((evaluation.pk, item.pk))
            if score is None:
                score = ItemScore(evaluation=evaluation, item=item)
                to_create.append(score)
            elif item.method == ItemMethod.COMPUTED:
                to_update.append(score)
            if item.method != ItemMethod.COMPUTED:
                continue
            item_codes = rule_indicators(item.rule, item.indicators)
            row = rows[evaluation.allocation_id]
            outcome = apply_rule(
                rule=item.rule,
                points=item.points,
                figures=_figures(row, item_codes),
                codes=item_codes,
                params=item.params,
            )
            score.points = score.computed_points = outcome.points
            score.basis = _basis(row, item_codes, outcome.explanation)
            score.comment = outcome.explanation
            score.scored_by = None
            score.scored_at = now
    ItemScore.objects.bulk_create(to_create)
    ItemScore.objects.bulk_update(
        to_update, ["points", "computed_points", "basis", "comment", "scored_by", "scored_at"]
    )
    round_.computed_at = now
    round_.save(update_fields=["computed_at"])
    rerank(round_)


@transaction.atomic
def round_create(
    *,
    actor: User | None,
    scheme: EvaluationScheme,
    name: str,
    as_of: dt.date,
    division: Division | None = None,
) -> EvaluationRound:
    """A city's evaluation of its counties' products (the actor's city) or the province's of
    every product, computed at once from the indicators as of `as_of`."""
    scheme = EvaluationScheme.objects.select_related("program__province").get(pk=scheme.pk)
    program = scheme.program
    if actor is not None and not program_list_for_user(user=actor).filter(pk=program.pk).exists():
        raise NotFoundError("未找到该考评方案。")
    division = _evaluating_division(actor, program, division)
    level = RoundLevel.PROVINCE if division.pk == program.province_id else RoundLevel.CITY
    if actor is not None and not holds_role_at(actor, EVALUATOR_ROLE[level], division.pk):
        raise ForbiddenError(_EVALUATOR_ONLY)
    if program.status not in UNDER_WAY:
        raise EvaluationError(
            "program_not_under_way",
            f"保护工程当前为“{program.get_status_display()}”，实施后才能考评。",
            status=409,
        )
    name = name.strip()
    if not name:
        raise EvaluationError("invalid_round", "请填写考评名称。")
    if as_of < dt.date(program.year, 1, 1):
        raise EvaluationError("invalid_round", "指标取数截止日期不能早于工程年度。")
    if as_of > timezone.localdate():
        raise EvaluationError("invalid_round", "指标取数截止日期不能晚于今天。")
    allocations = _evaluated_allocations(division, scheme)
    if not allocations:
        raise EvaluationError(
            "nothing_to_evaluate", "该地区没有承担本工程项目的县（市、区）。", status=409
        )
    if EvaluationRound.objects.filter(program=program, division=division, name=name[:200]).exists():
        raise EvaluationError("round_exists", "该地区已有同名考评。", status=409)
    round_ = EvaluationRound.objects.create(
        scheme=scheme,
        program=program,
        level=level,
        division=division,
        name=name[:200],
        as_of=as_of,
        created_by=actor,
    )
    Evaluation.objects.bulk_create(
        [Evaluation(round=round_, allocation=allocation) for allocation in allocations]
    )
    _compute(round_)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        obj=round_,
        changes={
            "after": {
                "scheme": scheme.pk,
                "level": level,
                "division": division.code,
                "as_of": as_of.isoformat(),
                "evaluated": [a.product.name for a in allocations],
            }
        },
    )
    return round_


@transaction.atomic
def round_compute(*, actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    """Read the indicators again (as of the round's date) while the round is being scored."""
    round_ = lock_round(actor, round_)
    _require_draft(round_)
    _compute(round_)
    audit_record(actor=actor, action=AuditAction.UPDATE, obj=round_, detail="重新计算指标得分")
    return round_


def score_points(value: Decimal | str | int | float, item: SchemeItem) -> Decimal:
    try:
        points = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise EvaluationError("invalid_points", "得分不是有效的数字。") from exc
    if not points.is_finite() or points != points.quantize(Decimal("0.01")):
        raise EvaluationError("invalid_points", "得分最多保留两位小数。")
    if not Decimal(0) <= points <= item.points:
        raise EvaluationError(
            "invalid_points", f"“{item.name}”的得分应在 0 到 {item.points} 之间。"
        )
    return points


@transaction.atomic
def score_enter(
    *, actor: User | None, score: ItemScore, points: Decimal | str | int, comment: str
) -> ItemScore:
    """The evaluator scores a manual item (实地效果评价 and the like), with its reasons."""
    evaluation = Evaluation.objects.select_related("round").get(pk=score.evaluation_id)
    round_ = lock_round(actor, evaluation.round)
    _require_draft(round_)
    score = (
        ItemScore.objects.select_for_update(of=("self",)).select_related("item").get(pk=score.pk)
    )
    if score.item.method != ItemMethod.MANUAL:
        raise EvaluationError(
            "computed_item", "该项按指标计算得分，不能手工录入；可重新取数。", status=409
        )
    value = score_points(points, score.item)
    if not comment.strip():
        raise EvaluationError("comment_required", "请写明评分理由。")
    before = {
        "points": str(score.points) if score.points is not None else "",
        "comment": score.comment,
    }
    score.points = value
    score.comment = comment.strip()
    score.scored_by = actor
    score.scored_at = timezone.now()
    score.save(update_fields=["points", "comment", "scored_by", "scored_at"])
    rerank(round_)
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        obj=score,
        changes={"before": before, "after": {"points": str(value), "comment": score.comment}},
    )
    return score


@transaction.atomic
def round_publish(*, actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    """Publish the result: every score is locked from now on; the evaluated may appeal."""
    round_ = lock_round(actor, round_)
    _require_draft(round_)
    missing = ItemScore.objects.filter(evaluation__round=round_, points__isnull=True)
    if missing.exists():
        names = sorted(set(missing.values_list("evaluation__allocation__product__name", flat=True)))
        raise EvaluationError(
            "scores_missing",
            f"还有 {missing.count()} 项未评分（{'、'.join(names[:5])}），评完后才能公布。",
            status=409,
        )
    rerank(round_)
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = timezone.now()
    round_.published_by = actor
    round_.save(update_fields=["status", "published_at", "published_by"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=round_,
        changes={
            "before": {"status": RoundStatus.DRAFT},
            "after": {
                "status": RoundStatus.PUBLISHED,
                "ranking": [
                    [e.allocation.product.name, str(e.total), e.rank]
                    for e in Evaluation.objects.filter(round=round_)
                    .select_related("allocation__product")
                    .order_by("rank", "pk")
                ],
            },
        },
    )
    return round_


@transaction.atomic
def round_close(*, actor: User | None, round_: EvaluationRound) -> EvaluationRound:
    """End the appeals: the result is final."""
    round_ = lock_round(actor, round_)
    if round_.status != RoundStatus.PUBLISHED:
        raise EvaluationError(
            "invalid_transition",
            f"考评当前为“{round_.get_status_display()}”，公布后才能定案。",
            status=409,
        )
    if Appeal.objects.filter(score__evaluation__round=round_, status=AppealStatus.PENDING).exists():
        raise EvaluationError("appeals_pending", "还有待处理的申诉，处理完后才能定案。", status=409)
    round_.status = RoundStatus.CLOSED
    round_.closed_at = timezone.now()
    round_.closed_by = actor
    round_.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        obj=round_,
        changes={"before": {"status": RoundStatus.PUBLISHED}, "after": {"status": round_.status}},
    )
    return round_
