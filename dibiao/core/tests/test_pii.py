from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from dibiao.core import pii


def test_sealed_phone_opens_to_the_normalised_number_and_is_masked():
    sealed = pii.seal_phone("138 1234-5678")
    assert sealed.masked == "138****5678"
    assert "13812345678" not in sealed.sealed
    assert pii.unseal(sealed.sealed) == "13812345678"
    assert sealed.digest == pii.digest("13812345678")


def test_sealing_twice_gives_different_ciphertexts_but_one_digest():
    first, second = (
        pii.seal_id_number("11010519491231002x"),
        pii.seal_id_number("11010519491231002X"),
    )
    assert first.sealed != second.sealed
    assert first.digest == second.digest
    assert first.masked == "110105********002X"


def test_empty_values_seal_to_nothing():
    assert pii.seal_phone("") == pii.EMPTY
    assert pii.unseal("") == ""
    assert pii.digest("") == ""


def test_a_tampered_ciphertext_does_not_open():
    sealed = pii.seal_phone("13812345678").sealed
    key_id, token = sealed.split(".", 1)
    tampered = f"{key_id}.{token[:-4]}{'A' if token[-4] != 'A' else 'B'}{token[-3:]}"
    with pytest.raises((InvalidTag, ValueError)):
        pii.unseal(tampered)


def test_a_ciphertext_under_an_unknown_key_id_is_refused():
    with pytest.raises(ValueError, match="key id"):
        pii.unseal("k9.AAAA")


def test_another_key_gives_another_digest(settings):
    before = pii.digest("13812345678")
    settings.DIBIAO_PII_KEY = "another-deployment-key"
    assert pii.digest("13812345678") != before


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("李", "李"), ("欧阳小明", "欧**明"), ("王小二", "王*二")]
)
def test_person_names_keep_the_family_name(name, masked):
    assert pii.mask_person_name(name) == masked
