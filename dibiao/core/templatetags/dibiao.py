from __future__ import annotations

from django import template

from dibiao.core.masking import mask_id_number, mask_phone

register = template.Library()


@register.filter(name="mask_phone")
def mask_phone_filter(value: str | None) -> str:
    return mask_phone(value) if value else ""


@register.filter(name="mask_id")
def mask_id_filter(value: str | None) -> str:
    return mask_id_number(value) if value else ""
