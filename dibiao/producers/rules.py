"""Input rules of the directory, bases and farmers, in one place: the forms, the API's input
serializers, the services and the Excel imports all call these, so a value refused on one
path is refused on every path with the same message.

Each `clean_*` returns the normalised value or raises Django's `ValidationError` (what forms
and serializers understand); the services turn that into a `FieldError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.exceptions import ValidationError

from dibiao.core import pii
from dibiao.core.identifiers import normalise_code, validate_credit_code, validate_id_number
from dibiao.producers.choices import CREDIT_CODE_KINDS, ProducerKind
from dibiao.producers.errors import ProducersError

T = TypeVar("T")

MOBILE = re.compile(r"1[3-9]\d{9}")
# Area code (3 or 4 digits with its leading 0) and a 7- or 8-digit number.
LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")
PHONE_CHARACTERS = frozenset("0123456789+-() （）")
PHONE_MESSAGE = "联系电话应为 11 位手机号（如 13812345678）或带区号的固定电话（如 0351-1234567）。"
# A base's declared area may differ this much (a fraction) from its boundary's area before the
# pages warn about it.
AREA_TOLERANCE = Decimal("0.20")
TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "有"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "", "无"})


class FieldError(ProducersError):
    """A refusal about one input: a form shows it at `field`, the API as {code, message}."""

    def __init__(self, field: str, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(code, message, status=status)
        self.field = field


def as_field_error(field: str, label: str, check: Callable[[], T]) -> T:
    """Run a `clean_*` rule inside a service: its ValidationError becomes a coded FieldError
    whose message names the field."""
    try:
        return check()
    except ValidationError as exc:
        code = exc.error_list[0].code or "invalid"
        raise FieldError(field, code, f"{label}：{exc.messages[0]}") from exc


def phone_digits(value: str) -> str:
    """The stored form of a phone number: digits only, without the country prefix."""
    digits = pii.normalise_phone(value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if len(digits) == 13 and digits.startswith("86") and MOBILE.fullmatch(digits[2:]):
        digits = digits[2:]
    return digits.lstrip("+")


def clean_phone(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    if any(ch not in PHONE_CHARACTERS for ch in text):
        raise ValidationError("联系电话只能包含数字、空格、“-”“+”和括号。", code="invalid_phone")
    digits = phone_digits(text)
    if not (MOBILE.fullmatch(digits) or LANDLINE.fullmatch(digits)):
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")
    return digits


def clean_credit_code(value: str) -> str:
    code = normalise_code(value)
    if code:
        validate_credit_code(code)
    return code


def clean_id_number(value: str) -> str:
    number = normalise_code(value)
    if number:
        validate_id_number(number)
    return number


def needs_credit_code(kind: str) -> bool:
    return kind in CREDIT_CODE_KINDS


def identity_message(kind: str) -> tuple[str, str]:
    """(field, message) for an entry of `kind` without the identifier it needs."""
    label = ProducerKind(kind).label if kind in ProducerKind.values else kind
    if needs_credit_code(kind):
        return "credit_code", f"{label}须填写统一社会信用代码。"
    return "id_number", f"{label}须填写负责人的身份证号码。"


def parse_flag(value: object) -> bool:
    """是/否 in a spreadsheet cell (also Y/N, TRUE/FALSE, 1/0; empty is 否)."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError("应填“是”或“否”。", code="invalid_flag")


def parse_decimal(value: object, *, places: int = 2, minimum: Decimal | None = None) -> Decimal:
    """A number with at most `places` decimals (a spreadsheet may hold a float or text)."""
    text = "" if value is None else str(value).strip().replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError("应为数字。", code="invalid_number") from exc
    if not number.is_finite():
        raise ValidationError("应为数字。", code="invalid_number")
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        # Floats read from Excel carry binary noise (1234.5 → 1234.4999999): round, but refuse
        # a real third decimal.
        rounded = number.quantize(step)
        if abs(number - rounded) > Decimal("1e-9"):
            raise ValidationError(
                "最多保留 %(n)s 位小数。", code="invalid_number", params={"n": places}
            )
        number = rounded
    if minimum is not None and number < minimum:
        raise ValidationError("不能小于 %(min)s。", code="invalid_number", params={"min": minimum})
    if number >= Decimal("1e10"):
        raise ValidationError("数值过大。", code="invalid_number")
    return number


def parse_count(value: object, *, minimum: int = 0, maximum: int = 1_000_000) -> int:
    """A whole number (Excel gives 3.0 for 3)."""
    number = parse_decimal(value, places=0)
    if not minimum <= number <= maximum:
        raise ValidationError(
            "应为 %(min)s 至 %(max)s 的整数。",
            code="invalid_number",
            params={"min": minimum, "max": maximum},
        )
    return int(number)


def area_warning(declared: Decimal | None, computed: Decimal | None) -> str:
    """A warning (not an error) when the declared area differs from the boundary's by more than
    AREA_TOLERANCE; empty otherwise."""
    if declared is None or computed is None or computed <= 0:
        return ""
    if abs(declared - computed) <= computed * AREA_TOLERANCE:
        return ""
    return (
        f"填报面积 {declared} 亩与边界计算面积 {computed} 亩相差超过 "
        f"{int(AREA_TOLERANCE * 100)}%，请核对面积或边界。"
    )
