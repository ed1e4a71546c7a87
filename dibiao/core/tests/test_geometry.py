from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dibiao.core import geometry


def _square(x0, y0, size):
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_area_of_a_known_square_in_mu_and_hectares():
    # 0.01° × 0.01° at 37.5°N: 1,109.6 m × 883.9 m ≈ 98.1 ha on the WGS-84 ellipsoid.
    polygon = geometry.parse_polygon(json.dumps(_square(112.0, 37.5, 0.01)))
    hectares = geometry.area_hectares(polygon)
    assert Decimal("97.5") < hectares < Decimal("98.7")
    # 1 公顷 = 15 亩; the two are rounded separately.
    assert abs(geometry.area_mu(polygon) - hectares * 15) < Decimal("0.01")


@pytest.mark.parametrize("hole_reversed", [True, False])
def test_a_hole_is_subtracted_whichever_way_its_ring_winds(hole_reversed):
    outer = _square(112.0, 37.5, 0.02)["coordinates"][0]
    hole = _square(112.005, 37.505, 0.01)["coordinates"][0]
    donut = {"type": "Polygon", "coordinates": [outer, hole[::-1] if hole_reversed else hole]}
    whole = geometry.area_hectares(geometry.parse_polygon(json.dumps(_square(112.0, 37.5, 0.02))))
    quarter = geometry.area_hectares(
        geometry.parse_polygon(json.dumps(_square(112.005, 37.505, 0.01)))
    )
    area = geometry.area_hectares(geometry.parse_polygon(json.dumps(donut)))
    assert abs(area - (whole - quarter)) < Decimal("0.01")


def test_a_feature_and_a_one_feature_collection_are_accepted():
    feature = {"type": "Feature", "properties": {}, "geometry": _square(112, 37, 0.1)}
    geometry.parse_polygon(json.dumps(feature))
    geometry.parse_polygon(json.dumps({"type": "FeatureCollection", "features": [feature]}))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "geojson_syntax"),
        (json.dumps({"type": "Point", "coordinates": [112, 37]}), "geojson_not_polygon"),
        (json.dumps(_square(37.0, 112.0, 0.1)), "geojson_out_of_range"),  # swapped axes
        (json.dumps({"type": "Polygon", "coordinates": [[[112, 37]]]}), "geojson_coordinates"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[112, 37], [112.1, 37.1], [112.1, 37], [112, 37.1], [112, 37]]
                    ],
                }
            ),
            "geojson_invalid",
        ),
        (json.dumps({"type": "FeatureCollection", "features": []}), "geojson_feature_count"),
    ],
)
def test_bad_boundaries_are_refused_with_a_reason(text, code):
    with pytest.raises(ValidationError) as caught:
        geometry.parse_polygon(text)
    assert caught.value.code == code


def test_containment_counts_the_border_as_inside():
    area = geometry.parse_polygon(json.dumps(_square(112, 37, 1)))
    assert geometry.covers(area, geometry.point(112.5, 37.5))
    assert geometry.covers(area, geometry.point(112, 37.5))
    assert not geometry.covers(area, geometry.point(113.5, 37.5))


def test_box_of_a_polygon():
    box = geometry.box_of(geometry.parse_polygon(json.dumps(_square(112, 37, 0.5))))
    assert (box.min_longitude, box.max_latitude) == (Decimal("112.000000"), Decimal("37.500000"))
