"""An objector's contact: what counts as valid, and how it is shown masked.

A contact is one of: a mainland mobile number (13812345678), a landline with its area code
(0351-1234567, the hyphen optional, an extension after a second hyphen), or an e-mail address.
Spaces are dropped before checking, so "138 1234 5678" is accepted and stored as 13812345678.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from dibiao.core.masking import mask_middle, mask_phone

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
CONTACT_MESSAGE = (
    "请填写有效的联系方式：手机号（如 13812345678）、带区号的固定电话（如 0351-1234567）"
    "或电子邮箱。"
)


def normalise_contact(value: str) -> str:
    return re.sub(r"\s+", "", value or "")


def validate_contact(value: str) -> None:
    contact = normalise_contact(value)
    if MOBILE.match(contact) or LANDLINE.match(contact):
        return
    if "@" in contact:
        try:
            validate_email(contact)
        except ValidationError:
            pass
        else:
            return
    raise ValidationError(CONTACT_MESSAGE, code="invalid_contact")


def mask_contact(value: str) -> str:
    """13812345678 -> 138****5678; 0351-1234567 -> 035*****4567; zhang@example.com ->
    z****@example.com."""
    if not value:
        return value
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"
    return mask_phone(value)


def mask_name(value: str) -> str:
    """张三 -> 张*, 欧阳娜娜 -> 欧***: the surname stays so staff lists remain readable."""
    if len(value) <= 1:
        return value
    return mask_middle(value, keep_start=1, keep_end=0)
