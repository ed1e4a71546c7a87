from decimal import Decimal

from django import template

from dibiao.applications.choices import ApplicationStatus, AssignmentStatus

register = template.Library()

_BADGES = {
    ApplicationStatus.SELECTED: "ok",
    ApplicationStatus.SCORED: "ok",
    ApplicationStatus.RECOMMENDED: "ok",
    ApplicationStatus.NOT_SELECTED: "bad",
    ApplicationStatus.RETURNED: "bad",
    ApplicationStatus.WITHDRAWN: "",
    ApplicationStatus.DRAFT: "",
    AssignmentStatus.SUBMITTED: "ok",
    AssignmentStatus.RECUSED: "bad",
}


@register.filter
def status_badge(status: str) -> str:
    """The badge class of an application or assignment status (ok, bad, warn or none)."""
    return _BADGES.get(status, "warn")  # type: ignore[call-overload]


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key, "")


@register.filter
def yuan(value: object) -> str:
    """An amount in yuan with thousands separators and two places (3,000,000.00)."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except ArithmeticError:
        return str(value)


@register.filter
def plain(value: object) -> str:
    """A decimal without trailing zeros: 500.00 → 500, 10.50 → 10.5."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except ArithmeticError:
        return str(value)
