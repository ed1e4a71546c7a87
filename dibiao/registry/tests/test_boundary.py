"""The protected-area boundary of a product: validated GeoJSON, and listeners told of changes."""

from __future__ import annotations

import json

import pytest

from dibiao.registry import services
from dibiao.registry.errors import RegistryError
from dibiao.registry.services import on_boundary_change, product_save
from dibiao.testing.factories import ProductFactory

pytestmark = pytest.mark.django_db

SQUARE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[112.1, 37.1], [112.3, 37.1], [112.3, 37.3], [112.1, 37.3], [112.1, 37.1]]
        ],
    }
)
BOWTIE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[112.1, 37.1], [112.3, 37.3], [112.3, 37.1], [112.1, 37.3], [112.1, 37.1]]
        ],
    }
)


@pytest.fixture
def heard(monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(services, "_BOUNDARY_LISTENERS", [])
    on_boundary_change(lambda product, actor: calls.append(product.pk))
    return calls


def test_valid_boundary_is_saved_and_listeners_hear_the_change_once(tree, county_admin, heard):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    product_save(actor=county_admin, product=product, data={"protected_area_boundary": SQUARE})
    product.refresh_from_db()
    assert json.loads(product.protected_area_boundary)["type"] == "Polygon"
    assert heard == [product.pk]
    # Saving the same boundary again is no change: nobody is told.
    product_save(actor=county_admin, product=product, data={"protected_area_boundary": SQUARE})
    assert heard == [product.pk]


def test_self_intersecting_boundary_is_refused_with_a_reason_and_nothing_changes(
    tree, county_admin, heard
):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    with pytest.raises(RegistryError) as caught:
        product_save(actor=county_admin, product=product, data={"protected_area_boundary": BOWTIE})
    assert "自相交" in caught.value.message or "Self-intersection" in caught.value.message
    product.refresh_from_db()
    assert product.protected_area_boundary == ""
    assert heard == []


def test_api_rejects_a_boundary_that_is_not_a_polygon_with_a_field_error(
    tree, county_admin, client
):
    product = ProductFactory.create(divisions=[tree["c1a"]])
    client.force_login(county_admin)
    response = client.patch(
        f"/api/v1/products/{product.pk}/",
        data={"protected_area_boundary": json.dumps({"type": "Point", "coordinates": [112, 37]})},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "protected_area_boundary" in body["errors"], body
