"""Display helpers of the evaluation pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from dibiao.evaluation.choices import AppealStatus, IndicatorStatus, RoundStatus

register = template.Library()

_CLASS = {
    IndicatorStatus.MET: "ok",
    IndicatorStatus.NOT_MET: "bad",
    IndicatorStatus.NO_DATA: "",
    RoundStatus.DRAFT: "warn",
    RoundStatus.PUBLISHED: "ok",
    RoundStatus.CLOSED: "",
    AppealStatus.PENDING: "warn",
    AppealStatus.ACCEPTED: "ok",
    AppealStatus.REJECTED: "bad",
}


@register.filter
def status_class(status: str) -> str:
    return _CLASS.get(status, "")  # type: ignore[call-overload]


@register.filter
def figure(value: Decimal | None) -> str:
    """A figure without trailing zeros, thousands separated: 2212, 14.5, 1,200."""
    if value is None:
        return "—"
    text = f"{value.normalize():f}"
    whole, _, fraction = text.partition(".")
    whole = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    return f"{whole}.{fraction}" if fraction else whole


@register.filter
def status_label(status: str) -> str:
    return str(IndicatorStatus(status).label) if status in IndicatorStatus.values else "—"


@register.filter
def get(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key)


@register.filter
def points_total(items: Any) -> Decimal:
    return sum((item.points for item in items), Decimal(0))
