from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dibiao.core.identifiers import (
    credit_code_check_char,
    id_number_check_char,
    validate_credit_code,
    validate_id_number,
)
from dibiao.testing.factories import VALID_CREDIT_CODE, VALID_ID_NUMBER, credit_code, id_number


def test_standard_examples_are_valid():
    validate_credit_code(VALID_CREDIT_CODE)
    validate_credit_code(VALID_CREDIT_CODE.lower() + " ")  # pasted in lower case with a blank
    validate_id_number(VALID_ID_NUMBER)
    assert credit_code_check_char(VALID_CREDIT_CODE[:17]) == "3"
    assert id_number_check_char(VALID_ID_NUMBER[:17]) == "X"


@pytest.mark.parametrize("n", [1, 2, 77, 9_999_999])
def test_generated_codes_are_valid(n):
    validate_credit_code(credit_code(n))
    validate_id_number(id_number(n))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91350100M000100Y44", "credit_code_check"),  # one character off
        ("91350100M000100Y4", "credit_code_length"),
        ("91350100M0001O0Y43", "credit_code_charset"),  # the letter O is not in the alphabet
        ("913501A0M000100Y43", "credit_code_division"),
    ],
)
def test_bad_credit_codes_are_refused_with_their_reason(value, code):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(value)
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_number_check"),
        ("11010519491231002", "id_number_length"),
        ("11010519491331002X", "id_number_birth_date"),  # month 13
        ("1101051949123100AX", "id_number_charset"),
    ],
)
def test_bad_id_numbers_are_refused_with_their_reason(value, code):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(value)
    assert caught.value.code == code
