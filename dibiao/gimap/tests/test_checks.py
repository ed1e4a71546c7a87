from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dibiao.gimap import checks
from dibiao.gimap.errors import GimapError
from dibiao.gimap.tests.conftest import (
    PINGYAO,
    PINGYAO_POINT,
    QINGXU,
    QINGXU_SEAT,
    place_base,
    square,
)
from dibiao.producers.models import ProductionBase
from dibiao.testing.factories import ProductFactory, producer, production_base

pytestmark = pytest.mark.django_db


@pytest.fixture
def fenced_grape(shanxi):
    """A product with an uploaded protected area: a 0.04° square around 清徐's seat."""
    x, y = QINGXU_SEAT
    return ProductFactory.create(
        name="围栏葡萄",
        protected_area_boundary=square(x - 0.02, y - 0.02, 0.04),
        divisions=[shanxi[QINGXU]],
    )


def test_the_acceptance_point_is_in_pingyao_of_jinzhong(shanxi):
    county = checks.locate("112.175", "37.20")
    assert (county.code, county.name) == (PINGYAO, "平遥县")
    assert county.parent is not None
    assert county.parent.name == "晋中市"


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        ("abc", "37.2", "invalid_coordinates"),
        ("", "37.2", "invalid_coordinates"),
        ("112.1", None, "invalid_coordinates"),
        ("NaN", "37.2", "invalid_coordinates"),
        ("Infinity", "37.2", "invalid_coordinates"),
        ("1e400", "37.2", "coordinates_out_of_range"),
        ("37.20", "112.175", "coordinates_out_of_range"),  # swapped
        ("200", "37.2", "coordinates_out_of_range"),
    ],
)
def test_bad_coordinates_are_refused_with_a_code(shanxi, lon, lat, code):
    with pytest.raises(GimapError) as caught:
        checks.locate(lon, lat)
    assert caught.value.code == code
    assert caught.value.status == 400


def test_a_point_in_china_but_outside_shanxi_is_in_no_county(shanxi):
    with pytest.raises(GimapError) as caught:
        checks.locate("116.40", "39.90")  # Beijing
    assert (caught.value.code, caught.value.status) == ("no_county", 404)


def test_a_base_outside_its_products_protected_area_is_flagged(shanxi, fenced_grape):
    entry = producer(shanxi[QINGXU], products=[fenced_grape])
    inside = place_base(entry, fenced_grape, *QINGXU_SEAT, name="城边基地")
    outside = place_base(entry, fenced_grape, 112.312, 37.503, name="南边基地")

    assert checks.inside_protected_area(inside) is True
    assert checks.inside_protected_area(outside) is False
    flagged = {f.base.pk: f for f in checks.bases_flagged()}
    assert list(flagged) == [outside.pk]
    assert flagged[outside.pk].outside_protected_area
    assert not flagged[outside.pk].outside_county  # 112.312, 37.503 is still 清徐


def test_without_an_uploaded_polygon_nothing_is_checked(shanxi, qingxu_grape, qingxu_cooperative):
    base = place_base(qingxu_cooperative, qingxu_grape, *PINGYAO_POINT)
    # The approximate area is drawn, never used to flag a base.
    assert checks.inside_protected_area(base) is None
    assert not base.outside_protected_area


def test_a_base_whose_point_is_not_in_its_recorded_county_is_flagged(
    shanxi, qingxu_grape, qingxu_cooperative
):
    here = place_base(qingxu_cooperative, qingxu_grape, *QINGXU_SEAT, name="县城基地")
    astray = place_base(qingxu_cooperative, qingxu_grape, *PINGYAO_POINT, name="登记错县的基地")
    assert checks.in_recorded_county(here) is True
    assert checks.in_recorded_county(astray) is False

    (flag,) = checks.bases_flagged()
    assert flag.base.pk == astray.pk
    assert flag.outside_county
    assert not flag.outside_protected_area
    assert flag.found_in is not None
    assert flag.found_in.code == PINGYAO


def test_a_base_without_a_point_is_not_judged(shanxi, qingxu_grape, qingxu_cooperative):
    base = production_base(qingxu_cooperative, qingxu_grape)
    assert checks.in_recorded_county(base) is None
    assert checks.inside_protected_area(base) is None
    assert list(checks.bases_flagged()) == []


def test_gimap_check_recomputes_a_stale_flag_and_prints_the_flagged_bases(shanxi, fenced_grape):
    entry = producer(shanxi[QINGXU], products=[fenced_grape], name="围栏合作社")
    inside = place_base(entry, fenced_grape, *QINGXU_SEAT, name="城边基地")
    outside = place_base(entry, fenced_grape, 112.312, 37.503, name="南边基地")
    # Flags written behind the service's back (an import, a restored dump) are wrong both ways.
    ProductionBase.objects.filter(pk=inside.pk).update(outside_protected_area=True)
    ProductionBase.objects.filter(pk=outside.pk).update(outside_protected_area=False)

    out = io.StringIO()
    call_command("gimap_check", stdout=out)

    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (inside.outside_protected_area, outside.outside_protected_area) == (False, True)
    text = out.getvalue()
    assert f"基地 {outside.pk}「南边基地」（围栏合作社）：超出“围栏葡萄”地域保护范围" in text
    assert "城边基地" not in text
    assert "共 1 个基地有问题。" in text


def test_gimap_check_names_the_county_a_stray_point_is_in(shanxi, qingxu_grape, qingxu_cooperative):
    place_base(qingxu_cooperative, qingxu_grape, *PINGYAO_POINT, name="登记错县的基地")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("gimap_check", "--fail", stdout=out)
    assert exited.value.code == 1
    assert "坐标不在登记的清徐县内（位于平遥县）" in out.getvalue()


def test_gimap_check_says_so_when_all_is_well(shanxi, qingxu_grape, qingxu_cooperative):
    place_base(qingxu_cooperative, qingxu_grape, *QINGXU_SEAT)
    out = io.StringIO()
    call_command("gimap_check", "--fail", stdout=out)
    assert "全部基地核查无问题。" in out.getvalue()
