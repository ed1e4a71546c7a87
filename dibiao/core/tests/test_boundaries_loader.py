"""The boundary loader on a small division tree (no Shanxi data loaded): what it does with
codes it does not know and with a bad feature. The real fixture is in test_boundaries.py."""

from __future__ import annotations

import pytest

from dibiao.core.boundaries import BoundaryError, boundaries_load, division_at
from dibiao.core.models import DivisionBoundary

pytestmark = pytest.mark.django_db


def _square(x0: float, y0: float, size: float) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(code: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def test_without_boundaries_no_point_is_in_a_county(tree):
    assert division_at(112.175, 37.20) is None


def test_features_without_a_loaded_division_are_skipped_and_named(tree):
    data = {
        "type": "FeatureCollection",
        "features": [
            _feature("140121", _square(112, 37, 1)),
            _feature("990000", _square(112, 37, 1)),
        ],
    }
    result = boundaries_load(data=data)
    assert (result.created, result.unknown_codes) == (1, ("990000",))
    assert DivisionBoundary.objects.get().division == tree["c1a"]


def test_a_bad_feature_in_the_file_loads_nothing(tree):
    data = {
        "type": "FeatureCollection",
        "features": [
            _feature("140121", _square(112, 37, 1)),
            _feature("140122", _square(37, 112, 1)),
        ],
    }
    with pytest.raises(BoundaryError) as caught:
        boundaries_load(data=data)
    assert caught.value.code == "invalid_boundaries"
    assert "140122" in caught.value.message
    assert not DivisionBoundary.objects.exists()


def test_a_file_that_is_not_a_feature_collection_is_refused(tree):
    with pytest.raises(BoundaryError) as caught:
        boundaries_load(data={"type": "Feature", "properties": {}, "geometry": None})
    assert caught.value.code == "invalid_boundaries"
    assert "要素集合" in caught.value.message


def test_a_county_boundary_of_the_tree_is_found_by_point(tree):
    boundaries_load(
        data={"type": "FeatureCollection", "features": [_feature("140121", _square(112, 37, 1))]}
    )
    found = division_at(112.5, 37.5)
    assert found is not None
    assert (found, found.parent) == (tree["c1a"], tree["c1"])
    assert division_at(113.5, 37.5) is None
