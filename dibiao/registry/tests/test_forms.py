from __future__ import annotations

import pytest

from dibiao.accounts.models import Organization
from dibiao.core.models import Division
from dibiao.registry.choices import ProductCategory
from dibiao.registry.forms import ProductForm, ProductStatusForm

pytestmark = pytest.mark.django_db


def _form(tree, **overrides):
    data = {
        "name": "清徐葡萄",
        "category": ProductCategory.FRUIT_TEA,
        "divisions": [tree["c1a"].pk],
    }
    data.update(overrides)
    return ProductForm(
        data,
        divisions=Division.objects.filter(pk=tree["c1a"].pk),
        holders=Organization.objects.none(),
    )


def test_form_with_full_coordinate_box_is_valid(tree):
    form = _form(
        tree, min_longitude="112.1", max_longitude="112.6", min_latitude="37.3", max_latitude="37.6"
    )
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    "box",
    [
        {"min_longitude": "112.1"},
        {"min_longitude": "112.1", "max_longitude": "112.6"},
        {"min_longitude": "112.1", "max_longitude": "112.6", "min_latitude": "37.3"},
        {"max_latitude": "37.6"},
    ],
)
def test_form_refuses_a_half_filled_coordinate_box(tree, box):
    form = _form(tree, **box)

    assert not form.is_valid()
    assert form.non_field_errors() == ["坐标范围需同时填写东经起止和北纬起止，或全部留空。"]


def test_form_refuses_a_division_outside_the_offered_ones(tree):
    form = _form(tree, divisions=[tree["c2a"].pk])
    assert not form.is_valid()
    assert "divisions" in form.errors


def test_form_requires_a_division(tree):
    form = _form(tree, divisions=[])
    assert not form.is_valid()
    assert form.errors["divisions"] == ["请至少选择一个所在行政区划。"]


def test_form_refuses_a_malformed_certificate_number(tree):
    form = _form(tree, certificate_number="AGI123")
    assert not form.is_valid()
    assert "certificate_number" in form.errors


def test_status_form_requires_a_reason():
    form = ProductStatusForm({"status": "cancelled", "reason": ""})
    assert not form.is_valid()
    assert "reason" in form.errors
