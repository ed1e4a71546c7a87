"""Money and rates as the program's pages show them: ¥1,234.00 and 12.3%."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def yuan(value: Any) -> str:
    """¥1,234.00; a negative amount as -¥1,234.00; nothing as —."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def rate(value: Any) -> str:
    """A percentage with one decimal: 12.3%."""
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{number:.1f}%"
