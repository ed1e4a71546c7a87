"""GS1 GTIN check digits (mod 10, weights 3 and 1 from the right), with the standard's vectors
from shared/standards/README.md."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dibiao.core.identifiers import gtin_check_digit, validate_gtin


@pytest.mark.parametrize(
    ("body", "digit"),
    [("123456789012", "8"), ("1234567890123", "1"), ("9638507", "4"), ("0000000", "0")],
)
def test_check_digit_of_known_gtins(body: str, digit: str) -> None:
    assert gtin_check_digit(body) == digit


@pytest.mark.parametrize(
    "gtin", ["1234567890128", "12345678901231", "96385074", "036000291452", " 1234567890128 "]
)
def test_valid_gtins_pass(gtin: str) -> None:
    validate_gtin(gtin)


@pytest.mark.parametrize("gtin", ["1234567890129", "12345678901232", "96385075"])
def test_wrong_check_digit_is_refused(gtin: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_gtin(gtin)
    assert caught.value.code == "gtin_check"


@pytest.mark.parametrize(
    "gtin",
    [
        "",
        "123456789",
        "123456789012345",
        "12345678901A",
        "１２３４５６７８９０１２８",
        "1234567-90128",
    ],
)
def test_wrong_length_or_characters_are_refused(gtin: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_gtin(gtin)
    assert caught.value.code == "gtin_format"
