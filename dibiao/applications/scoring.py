"""Scoring arithmetic: the default scheme, an expert's weighted total and the aggregate.

Each step rounds half-up to 0.01, so anyone can recompute a published score from the published
expert totals: expert total = Σ points / max_points × weight (of 100), rounded; application score
= mean of the expert totals (dropping one highest and one lowest when the scheme is trimmed and
there are at least TRIM_FROM of them), rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
WEIGHT_TOTAL = Decimal(100)
# Trimming one highest and one lowest needs enough scores left to mean something.
TRIM_FROM = 5


def min_scores() -> int:
    """Submitted expert scores an application needs before the review can close; a deployment
    may raise it with the DIBIAO_REVIEW_MIN_SCORES setting."""
    return int(getattr(settings, "DIBIAO_REVIEW_MIN_SCORES", 3))


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: Decimal
    max_points: Decimal


DEFAULT_SCHEME_NAME = "地理标志农产品保护工程申报评审方案"
# The plan's emphasis (sections 三 and 四): a feasible plan first, then the industry it can lift,
# a sound budget, brand and digital work, and the organisation behind it. Each criterion is
# scored out of its weight, so an expert's points add up to the total directly.
DEFAULT_CRITERIA: tuple[CriterionSpec, ...] = (
    CriterionSpec("实施方案可行性", Decimal(30), Decimal(30)),
    CriterionSpec("产业基础与带动能力", Decimal(25), Decimal(25)),
    CriterionSpec("资金预算合理性", Decimal(20), Decimal(20)),
    CriterionSpec("品牌与数字化建设", Decimal(15), Decimal(15)),
    CriterionSpec("组织保障", Decimal(10), Decimal(10)),
)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def weighted_total(items: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal:
    """An expert's total from (points, max_points, weight) per criterion."""
    return rounded(sum((p / m * w for p, m, w in items), Decimal(0)))


def counted(totals: Sequence[Decimal], *, trimmed: bool) -> list[Decimal]:
    """The expert totals that count: all, or all but one highest and one lowest."""
    ordered = sorted(totals)
    if trimmed and len(ordered) >= TRIM_FROM:
        return ordered[1:-1]
    return ordered


def aggregate(totals: Sequence[Decimal], *, trimmed: bool) -> Decimal:
    kept = counted(totals, trimmed=trimmed)
    return rounded(sum(kept, Decimal(0)) / len(kept))


def competition_ranks(scores: Sequence[Decimal]) -> list[int]:
    """Ranks for scores given in descending order; equal scores share a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for index, score in enumerate(scores):
        ranks.append(ranks[-1] if index and score == scores[index - 1] else index + 1)
    return ranks
