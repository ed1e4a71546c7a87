"""Template filters of the batch and trace-event pages."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value: Decimal | str | None) -> str:
    """A quantity without trailing zeros (500.000 → 500, 200.500 → 200.5), never in E notation."""
    if value is None or value == "":
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
