"""Scoring rules of the evaluation scheme: how a computed item turns indicator values into
points. Pure functions of values and parameters (no database), so each is tested with given
figures; points are rounded half-up to 0.01 as the review scores are (`applications.scoring`).

- `funds` (资金管理): the issue's rule. Of the item's points, `on_time_points` (2) are for
  passing the funds on within `grace_days` (30) of receiving them, less 1 per `late_step_days`
  (15, half a month) late or part of it; `execution_points` (8) are for an execution rate of at
  least `execution_target` (90 %) by the end of the year, less 1 per `execution_step` (5) points
  short or part of it. Each part floors at 0. Indicators: `funds_passed_down`,
  `funds_execution`.
- `each_met` (逐项达标): the item's points shared equally by its indicators; a met one earns its
  share, any other nothing.
- `proportional` (按完成程度): each indicator's share scaled by how far it got towards its
  target (capped at 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dibiao.applications.scoring import rounded
from dibiao.evaluation.choices import Comparison, IndicatorStatus, ScoringRule
from dibiao.evaluation.errors import EvaluationError
from dibiao.evaluation.indicators.catalogue import BY_CODE

ZERO = Decimal(0)

FUNDS_DEFAULTS: dict[str, int] = {
    "on_time_points": 2,
    "grace_days": 30,
    "late_step_days": 15,
    "execution_points": 8,
    "execution_target": 90,
    "execution_step": 5,
}
FUNDS_INDICATORS = ("funds_passed_down", "funds_execution")


@dataclass(frozen=True)
class Figure:
    """What a rule reads of one indicator for one product."""

    value: Decimal | None
    target: Decimal | None
    status: str


@dataclass(frozen=True)
class Outcome:
    points: Decimal
    explanation: str


def _steps(shortfall: Decimal | int, step: int) -> int:
    """Steps of `step` in `shortfall`, a part step counting as one."""
    return math.ceil(Decimal(shortfall) / step) if shortfall > 0 else 0


def funds_points(
    *, days: Decimal | None, rate: Decimal | None, params: Mapping[str, Any] | None = None
) -> Outcome:
    """The funds rule for `days` from receipt to the first payment (None: not received) and the
    execution `rate` in per cent at the year's end (None: no allocation)."""
    p = {**FUNDS_DEFAULTS, **(params or {})}
    notes: list[str] = []
    if days is None:
        on_time = ZERO
        notes.append("资金尚未下达，拨付得 0 分")
    else:
        late = max(Decimal(days) - p["grace_days"], ZERO)
        on_time = max(Decimal(p["on_time_points"]) - _steps(late, p["late_step_days"]), ZERO)
        notes.append(
            f"拨付用时 {days} 天（逾期 {late} 天）得 {on_time} 分"
            if late
            else f"拨付用时 {days} 天，按期拨付得 {on_time} 分"
        )
    if rate is None:
        execution = ZERO
        notes.append("无执行率，执行得 0 分")
    else:
        short = max(Decimal(p["execution_target"]) - Decimal(rate), ZERO)
        execution = max(Decimal(p["execution_points"]) - _steps(short, p["execution_step"]), ZERO)
        notes.append(f"年底执行率 {rate}%（目标 {p['execution_target']}%）得 {execution} 分")
    return Outcome(rounded(on_time + execution), "；".join(notes))


def _ratio(figure: Figure, comparison: str) -> Decimal:
    """How far a value got towards its target, 0 to 1."""
    value, target = figure.value, figure.target
    if value is None or target is None:
        return ZERO
    if comparison == Comparison.GE:
        return Decimal(1) if value >= target or not target else max(value / target, ZERO)
    if comparison == Comparison.LE:
        return Decimal(1) if value <= target else (target / value if value and target else ZERO)
    return Decimal(1) if value == target else ZERO


def apply_rule(
    *,
    rule: str,
    points: Decimal,
    figures: Mapping[str, Figure],
    codes: Sequence[str],
    params: Mapping[str, Any] | None = None,
) -> Outcome:
    """The points of a computed item from its indicators' figures (code → Figure)."""
    if rule == ScoringRule.FUNDS:
        days, rate = figures["funds_passed_down"], figures["funds_execution"]
        return funds_points(days=days.value, rate=rate.value, params=params)
    share = points / len(codes)
    if rule == ScoringRule.EACH_MET:
        met = [code for code in codes if figures[code].status == IndicatorStatus.MET]
        names = "、".join(BY_CODE[code].name for code in met) or "无"
        return Outcome(rounded(share * len(met)), f"达标 {len(met)}/{len(codes)} 项（{names}）")
    ratios = {code: _ratio(figures[code], BY_CODE[code].comparison) for code in codes}
    return Outcome(
        rounded(sum((share * r for r in ratios.values()), ZERO)),
        "；".join(f"{BY_CODE[c].name}完成 {rounded(r * 100)}%" for c, r in ratios.items()),
    )


def check_item(
    *, rule: str, points: Decimal, codes: Sequence[str], params: Mapping[str, Any]
) -> dict[str, Any]:
    """A computed item's indicators and parameters, checked; returns the parameters to keep."""
    unknown = [code for code in codes if code not in BY_CODE]
    if unknown:
        raise EvaluationError("unknown_indicator", f"没有这些指标：{'、'.join(unknown)}。")
    if rule == ScoringRule.FUNDS:
        if tuple(codes) not in ((), FUNDS_INDICATORS):
            raise EvaluationError(
                "invalid_item", "资金管理规则使用“资金及时拨付”和“资金执行率”两项指标。"
            )
        merged = {**FUNDS_DEFAULTS, **params}
        if set(merged) != set(FUNDS_DEFAULTS) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in merged.values()
        ):
            raise EvaluationError("invalid_item", "资金管理规则的参数应为非负整数。")
        if merged["late_step_days"] == 0 or merged["execution_step"] == 0:
            raise EvaluationError("invalid_item", "扣分步长不能为 0。")
        if Decimal(merged["on_time_points"] + merged["execution_points"]) != points:
            raise EvaluationError(
                "invalid_item",
                f"资金管理规则的拨付分与执行分之和应等于该项分值 {points}。",
            )
        return merged
    if rule not in ScoringRule.values:
        raise EvaluationError("invalid_item", "请选择计分规则。")
    if not codes:
        raise EvaluationError("invalid_item", "按指标计算的评分项至少选择一项指标。")
    if len(set(codes)) != len(codes):
        raise EvaluationError("invalid_item", "同一指标只能选择一次。")
    return {}


def rule_indicators(rule: str, codes: Sequence[str]) -> tuple[str, ...]:
    return FUNDS_INDICATORS if rule == ScoringRule.FUNDS else tuple(codes)
