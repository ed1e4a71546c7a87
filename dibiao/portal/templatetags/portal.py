from __future__ import annotations

from django import template

from dibiao.accounts.choices import Role

register = template.Library()
_LABELS = dict(Role.choices)


@register.filter
def role_labels(codes: str) -> str:
    """ "county_admin,expert" -> "县级管理员（实施主体）、评审专家" (the audit log stores codes)."""
    return "、".join(str(_LABELS.get(code, code)) for code in codes.split(",") if code)
