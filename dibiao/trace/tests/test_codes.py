from __future__ import annotations

import pytest

from dibiao.trace import codes


@pytest.fixture(autouse=True)
def two_keys(settings):
    settings.DIBIAO_LABEL_KEYS = {1: b"k" * 32, 2: b"j" * 32}
    settings.DIBIAO_LABEL_KEY_ID = 2


def test_a_code_round_trips_with_its_key_id_serial_and_mac():
    code = codes.encode(2, 123_456_789)
    assert len(code) == 20
    parsed = codes.parse(code)
    assert (parsed.key_id, parsed.serial) == (2, 123_456_789)
    assert codes.verify(parsed)


def test_grouped_lower_case_and_confusable_letters_are_read():
    code = codes.encode(1, 42)
    typed = codes.group(code).lower().replace("1", "l").replace("0", "o")
    assert codes.parse(typed) == codes.parse(code)


def test_one_changed_character_is_caught_by_the_check_character():
    code = codes.encode(1, 42)
    for i in range(19):
        other = "Z" if code[i] != "Z" else "Y"
        with pytest.raises(codes.CodeFormatError):
            codes.parse(code[:i] + other + code[i + 1 :])


def test_a_forged_mac_with_a_correct_check_character_fails_verification():
    parsed = codes.parse(codes.encode(1, 42))
    forged = codes.ParsedCode(parsed.key_id, parsed.serial, parsed.mac ^ 1)
    assert not codes.verify(forged)


def test_codes_of_a_rotated_key_still_verify_and_differ_from_the_new_keys():
    old, new = codes.encode(1, 7), codes.encode(2, 7)
    assert old != new
    assert codes.verify(codes.parse(old))
    assert codes.verify(codes.parse(new))


def test_an_unlisted_key_id_does_not_verify(settings):
    code = codes.encode(1, 7)
    settings.DIBIAO_LABEL_KEYS = {2: b"j" * 32}
    assert not codes.verify(codes.parse(code))


def test_the_mac_keeps_at_least_50_bits():
    macs = {codes.parse(codes.encode(1, s)).mac for s in range(1, 2000)}
    assert max(macs).bit_length() > 45  # uniformly spread over 50 bits
    assert len(macs) == 1999


def test_range_generation_matches_single_encoding():
    generated = dict(codes.codes_for_range(1, 1000, 1010))
    assert generated == {s: codes.encode(1, s) for s in range(1000, 1011)}


@pytest.mark.parametrize("text", ["", "abc", "1" * 21, "U" * 20, "1000-00C1-SKZZ-EJDZ-ZVM"])
def test_text_that_is_not_a_code_is_a_format_error(text):
    with pytest.raises(codes.CodeFormatError):
        codes.parse(text)


def test_serial_and_key_limits(settings):
    settings.DIBIAO_LABEL_KEYS = {1: b"k" * 32, 31: b"m" * 32}
    with pytest.raises(ValueError, match="out of range"):
        codes.encode(32, 1)
    with pytest.raises(ValueError, match="out of range"):
        codes.encode(1, 0)
    with pytest.raises(ValueError, match="out of range"):
        codes.encode(1, codes.MAX_SERIAL + 1)
    assert codes.parse(codes.encode(31, codes.MAX_SERIAL)).serial == codes.MAX_SERIAL
