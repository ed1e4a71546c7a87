"""Check characters of Chinese identifiers, so a mistyped code is caught at the form.

- GB 32100-2015, the unified social credit code (统一社会信用代码): 18 characters over a
  31-character alphabet (digits and upper-case letters without I, O, Z, S, V); the 18th is a
  check character over the first 17, weighted 3^i mod 31.
- GB 11643-1999, the citizen identity number (公民身份号码): 17 digits and a check character
  (0-9 or X) from ISO 7064 MOD 11-2; the 7th to 14th digits are a real date of birth.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECKS = "10X98765432"


def normalise_code(value: str) -> str:
    """Upper case without spaces: codes are often pasted with a trailing blank or in lower case."""
    return "".join(value.split()).upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * weight
        for ch, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = normalise_code(value)
    if len(code) != 18:
        raise ValidationError(
            "统一社会信用代码应为 18 位，当前为 %(n)s 位。",
            code="credit_code_length",
            params={"n": len(code)},
        )
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            "统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、Z、S、V）。",
            code="credit_code_charset",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            "统一社会信用代码第 3 至 8 位应为登记管理机关的行政区划代码（数字）。",
            code="credit_code_division",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(
            "统一社会信用代码校验位不正确，请核对是否录入有误。", code="credit_code_check"
        )


def id_number_check_char(first17: str) -> str:
    total = sum(int(ch) * weight for ch, weight in zip(first17, ID_NUMBER_WEIGHTS, strict=True))
    return ID_NUMBER_CHECKS[total % 11]


def validate_id_number(value: str) -> None:
    number = normalise_code(value)
    if len(number) != 18:
        raise ValidationError(
            "身份证号码应为 18 位，当前为 %(n)s 位。",
            code="id_number_length",
            params={"n": len(number)},
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(
            "身份证号码前 17 位应为数字，最后一位为数字或 X。", code="id_number_charset"
        )
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        birth = None
    if birth is None or birth.year < 1900 or birth > dt.date.today():
        raise ValidationError("身份证号码中的出生日期无效。", code="id_number_birth_date")
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(
            "身份证号码校验位不正确，请核对是否录入有误。", code="id_number_check"
        )


# --- GS1 GTIN (issue 5: GS1 Digital Link) ------------------------------------------------------
# GS1 General Specifications §7.9.1: GTIN-8, -12, -13 and -14 end in a mod-10 check digit whose
# weights, counted from the right of the digits before it, are 3, 1, 3, 1, ...

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> str:
    """The check digit of a GTIN's leading digits (all but the last)."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def validate_gtin(value: str) -> None:
    gtin = "".join(value.split())
    if not (gtin.isascii() and gtin.isdigit()) or len(gtin) not in GTIN_LENGTHS:
        raise ValidationError("GTIN（商品条码）应为 8、12、13 或 14 位数字。", code="gtin_format")
    if gtin_check_digit(gtin[:-1]) != gtin[-1]:
        raise ValidationError(
            "GTIN（商品条码）校验位不正确，请核对是否录入有误。", code="gtin_check"
        )
