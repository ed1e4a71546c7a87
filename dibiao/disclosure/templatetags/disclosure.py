from __future__ import annotations

from django import template

from dibiao.disclosure.contacts import mask_contact as _mask_contact

register = template.Library()


@register.filter
def mask_contact(value: str) -> str:
    return _mask_contact(value or "")
