"""Reads of performance evaluation, scoped.

- Indicators: the products a user sees are the program's allocations in its scope
  (`projects.selectors.allocation_list_for_user`); their figures are then the products' own,
  whoever asks (`indicators.indicators_compute` is not scoped).
- Rounds: the evaluating level (and the levels above it) sees a round through its division; an
  evaluated county sees the rounds in which it has a product, and only its own evaluations in
  them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from dibiao.accounts.scoping import scope_for
from dibiao.core.errors import NotFoundError
from dibiao.evaluation.choices import AppealStatus
from dibiao.evaluation.indicators import ProductIndicators, indicators_compute
from dibiao.evaluation.indicators import indicators_for_product as _for_product
from dibiao.evaluation.models import (
    Appeal,
    Evaluation,
    EvaluationRound,
    EvaluationScheme,
    ItemScore,
)
from dibiao.projects.choices import ProgramStatus
from dibiao.projects.models import Allocation, Program
from dibiao.projects.selectors import allocation_list_for_user, program_list_for_user

# --- Programs and indicators -------------------------------------------------------------------


def evaluation_programs_for_user(*, user: Any) -> QuerySet[Program]:
    """Programs that have selected their products (they have something to measure)."""
    return program_list_for_user(user=user).filter(
        status__in=[ProgramStatus.REVIEWING, ProgramStatus.IMPLEMENTING, ProgramStatus.CLOSED]
    )


def evaluation_program_for_user(*, user: Any, pk: int) -> Program:
    program = evaluation_programs_for_user(user=user).filter(pk=pk).first()
    if program is None:
        raise NotFoundError("未找到该保护工程。")
    return program


def indicator_allocations_for_user(
    *, user: Any, program: Program, product: int | None = None
) -> QuerySet[Allocation]:
    rows = allocation_list_for_user(user=user, program=program)
    if product is not None:
        rows = rows.filter(product_id=product)
    return rows


def indicator_allocation_get_for_user(*, user: Any, pk: int) -> Allocation:
    allocation = allocation_list_for_user(user=user).filter(pk=pk).first()
    if allocation is None:
        raise NotFoundError("未找到该产品的资金分配。")
    return allocation


def indicator_table_for_user(
    *, user: Any, program: Program, as_of: dt.date, allocations: list[Allocation] | None = None
) -> list[ProductIndicators]:
    """Every product in the user's scope (or the given page of them) × every indicator:
    values and statuses with evidence counts (no evidence items)."""
    chosen = allocations
    if chosen is None:
        chosen = list(indicator_allocations_for_user(user=user, program=program))
    if not chosen:
        return []
    whole = program.province_id in scope_for(user).division_ids and allocations is None
    return indicators_compute(program=program, allocations=None if whole else chosen, as_of=as_of)


def indicators_for_product(*, allocation: Allocation, as_of: dt.date) -> ProductIndicators:
    """One product with its evidence records (the allocation comes from a scoped selector)."""
    return _for_product(allocation=allocation, as_of=as_of)


# --- Schemes -------------------------------------------------------------------------------------


def scheme_list_for_user(
    *, user: Any, program: Program | None = None
) -> QuerySet[EvaluationScheme]:
    """Schemes of the programs the user takes part in (a scheme is the province's, read by
    everyone evaluating or evaluated under it)."""
    rows = EvaluationScheme.objects.filter(
        program__in=program_list_for_user(user=user).values("pk")
    )
    if program is not None:
        rows = rows.filter(program=program)
    return (
        rows.select_related("program")
        .prefetch_related("items")
        .annotate(round_count=Count("rounds", distinct=True))
        .order_by("-program__year", "program_id", "id")
    )


def scheme_get_for_user(*, user: Any, pk: int) -> EvaluationScheme:
    scheme = scheme_list_for_user(user=user).filter(pk=pk).first()
    if scheme is None:
        raise NotFoundError("未找到该考评方案。")
    return scheme


# --- Rounds and evaluations ------------------------------------------------------------------


def round_list_for_user(
    *, user: Any, program: Program | None = None, status: str = ""
) -> QuerySet[EvaluationRound]:
    evaluated = Evaluation.objects.restrict(user).values("round_id")
    rows = EvaluationRound.objects.filter(
        Q(pk__in=EvaluationRound.objects.restrict(user).values("pk")) | Q(pk__in=evaluated)
    )
    if program is not None:
        rows = rows.filter(program=program)
    if status:
        rows = rows.filter(status=status)
    return (
        rows.select_related("program", "scheme", "division", "created_by", "published_by")
        .annotate(evaluation_count=Count("evaluations", distinct=True))
        .order_by("-created_at", "-id")
    )


def round_get_for_user(*, user: Any, pk: int) -> EvaluationRound:
    round_ = round_list_for_user(user=user).filter(pk=pk).first()
    if round_ is None:
        raise NotFoundError("未找到该考评。")
    return round_


def sees_whole_round(*, user: Any, round_: EvaluationRound) -> bool:
    """The evaluating level and those above it see every evaluation (the ranking); an evaluated
    county only its own."""
    return round_.division_id in scope_for(user).division_ids


def evaluation_list_for_user(*, user: Any, round_: EvaluationRound) -> QuerySet[Evaluation]:
    rows = Evaluation.objects.filter(round=round_)
    if not sees_whole_round(user=user, round_=round_):
        rows = rows.filter(pk__in=Evaluation.objects.restrict(user).values("pk"))
    return (
        rows.select_related("allocation__product", "allocation__division__parent")
        .prefetch_related(
            Prefetch("scores", queryset=ItemScore.objects.order_by("item__position", "item_id"))
        )
        .order_by("rank", "allocation__product__name", "pk")
    )


def _scores() -> Prefetch[Any]:
    return Prefetch(
        "scores",
        queryset=ItemScore.objects.select_related("item", "scored_by")
        .prefetch_related(
            Prefetch(
                "appeals",
                queryset=Appeal.objects.select_related("filed_by", "decided_by").order_by(
                    "filed_at", "pk"
                ),
            )
        )
        .order_by("item__position", "item_id"),
    )


def evaluation_get_for_user(*, user: Any, pk: int) -> Evaluation:
    evaluation = (
        Evaluation.objects.restrict(user)
        .select_related(
            "round__program",
            "round__scheme",
            "round__division",
            "allocation__product",
            "allocation__division__parent",
        )
        .prefetch_related(_scores())
        .filter(pk=pk)
        .first()
    )
    if evaluation is None:
        raise NotFoundError("未找到该考评对象。")
    return evaluation


def score_get_for_user(*, user: Any, pk: int) -> ItemScore:
    score = (
        ItemScore.objects.filter(evaluation__in=Evaluation.objects.restrict(user).values("pk"))
        .select_related("item", "evaluation__round", "evaluation__allocation__division")
        .filter(pk=pk)
        .first()
    )
    if score is None:
        raise NotFoundError("未找到该考评得分。")
    return score


# --- Appeals ---------------------------------------------------------------------------------


def appeal_list_for_user(
    *, user: Any, round_: EvaluationRound | None = None, status: str = ""
) -> QuerySet[Appeal]:
    rows = Appeal.objects.restrict(user)
    if round_ is not None:
        rows = rows.filter(score__evaluation__round=round_)
    if status in AppealStatus.values:
        rows = rows.filter(status=status)
    return rows.select_related(
        "score__item",
        "score__evaluation__round",
        "score__evaluation__allocation__product",
        "filed_by",
        "decided_by",
    ).order_by("-filed_at", "-id")


def appeal_get_for_user(*, user: Any, pk: int) -> Appeal:
    appeal = appeal_list_for_user(user=user).filter(pk=pk).first()
    if appeal is None:
        raise NotFoundError("未找到该申诉。")
    return appeal
