from __future__ import annotations

import json
from decimal import Decimal

import pytest
import shapely
from django.db import connection
from django.test.utils import CaptureQueriesContext
from shapely.geometry import shape

from dibiao.accounts.choices import Role
from dibiao.core.errors import NotFoundError
from dibiao.core.models import DivisionBoundary
from dibiao.gimap import areas, layers, measures
from dibiao.gimap.errors import GimapError
from dibiao.gimap.tests.conftest import (
    JIEXIU,
    JINZHONG,
    PINGYAO,
    QINGXU,
    QINGXU_SEAT,
    TAIYUAN,
    XIAOYI,
    square,
)
from dibiao.producers.models import ProductionBase
from dibiao.testing.factories import ProductFactory, producer, producer_user, user_with_role

pytestmark = pytest.mark.django_db

COMMON = {"id", "name", "layer", "kind", "kind_label", "url"}


def _names(collection):
    return {f["properties"]["name"] for f in collection["features"]}


def _by_name(collection):
    return {f["properties"]["name"]: f for f in collection["features"]}


@pytest.fixture
def province(shanxi):
    return user_with_role(Role.PROVINCE_ADMIN, shanxi["140000"])


@pytest.fixture
def qingxu_admin(shanxi):
    return user_with_role(Role.COUNTY_ADMIN, shanxi[QINGXU])


@pytest.fixture
def taiyuan_admin(shanxi):
    return user_with_role(Role.CITY_ADMIN, shanxi[TAIYUAN])


# --- Scope ------------------------------------------------------------------------------------


def test_county_user_sees_only_its_own_countys_bases_and_producers(world, qingxu_admin):
    bases = layers.layer_collection(qingxu_admin, "bases")
    assert _names(bases) == {"马峪基地", "张三的葡萄园"}
    producers = layers.layer_collection(qingxu_admin, "producers")
    assert _names(producers) == {"马峪葡萄专业合作社", "张三"}
    assert _names(layers.layer_collection(qingxu_admin, "labs")) == {"清徐检测站"}
    assert _names(layers.layer_collection(qingxu_admin, "events")) == {"葡萄标准化栽培"}


def test_county_user_cannot_ask_for_another_countys_map(world, qingxu_admin, shanxi):
    with pytest.raises(NotFoundError):
        layers.layer_collection(qingxu_admin, "bases", division=shanxi[PINGYAO])
    with pytest.raises(NotFoundError):
        measures.county_figures(qingxu_admin, shanxi[PINGYAO])


def test_city_user_sees_its_counties_and_not_another_citys(world, taiyuan_admin, shanxi):
    assert _names(layers.layer_collection(taiyuan_admin, "bases")) == {"马峪基地", "张三的葡萄园"}
    with pytest.raises(NotFoundError):
        layers.layer_collection(taiyuan_admin, "producers", division=shanxi[JINZHONG])


def test_province_sees_every_county(world, province, shanxi):
    assert _names(layers.layer_collection(province, "bases")) == {
        "马峪基地",
        "张三的葡萄园",
        "平遥养殖基地",
    }
    pingyao = layers.layer_collection(province, "bases", division=shanxi[PINGYAO])
    assert _names(pingyao) == {"平遥养殖基地"}
    jinzhong = layers.layer_collection(province, "producers", division=shanxi[JINZHONG])
    assert _names(jinzhong) == {"平遥牛肉合作社"}


def test_producer_sees_its_own_rows_and_its_products_area(world, shanxi):
    user, entry = producer_user(shanxi[QINGXU], name="另一家合作社", products=[world.grape])
    own = ProductionBase.objects.create(
        producer=entry,
        product=world.grape,
        kind="core",
        name="自家基地",
        division=entry.division,
        area_mu=Decimal("10"),
    )
    assert _names(layers.layer_collection(user, "bases")) == {own.name}
    assert _names(layers.layer_collection(user, "producers")) == {"另一家合作社"}
    # Not the certificate holder: the product's page is the public one.
    (area,) = layers.layer_collection(user, "protected_areas")["features"]
    assert area["properties"]["name"] == "清徐葡萄"
    assert area["properties"]["url"] == f"/products/{world.grape.pk}/"
    assert layers.layer_collection(user, "labs")["features"] == []


def test_an_administrator_without_a_business_role_draws_nothing(world, shanxi):
    auditor = user_with_role(Role.AUDITOR, shanxi["140000"])
    for layer in layers.LAYERS:
        assert layers.layer_collection(auditor, layer)["features"] == []


def test_unknown_layer_is_refused(world, province):
    with pytest.raises(GimapError) as caught:
        layers.layer_collection(province, "farmers")
    assert (caught.value.code, caught.value.status) == ("unknown_layer", 404)


# --- The public map ----------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["labs", "events"])
def test_the_public_gets_no_staff_layer(world, layer):
    with pytest.raises(GimapError) as caught:
        layers.layer_collection(None, layer, public=True)
    assert (caught.value.code, caught.value.status) == ("layer_not_public", 404)


def test_public_bases_are_points_of_registered_entities_only(world):
    bases = _by_name(layers.layer_collection(None, "bases", public=True))
    # The individual farmer's field is personal data: not on the public map.
    assert set(bases) == {"马峪基地", "平遥养殖基地"}
    props = bases["马峪基地"]["properties"]
    assert bases["马峪基地"]["geometry"] == {"type": "Point", "coordinates": [112.312, 37.603]}
    assert props["url"] == ""
    assert "in_recorded_county" not in props


def test_public_producers_are_todays_label_users_at_their_county(world, shanxi):
    (feature,) = layers.layer_collection(None, "producers", public=True)["features"]
    props = feature["properties"]
    assert props["name"] == "马峪葡萄专业合作社"
    assert props["authorized"] is True
    assert (props["approximate"], props["basis"]) == (True, "所在县代表点")
    assert (
        tuple(feature["geometry"]["coordinates"])
        == areas.representative_points()[shanxi[QINGXU].pk]
    )
    text = json.dumps(feature, ensure_ascii=False)
    assert "138" not in text  # the sealed phone's masked form never reaches the map


def test_public_scans_are_counts_per_county(world, shanxi):
    (feature,) = layers.layer_collection(None, "scans", public=True)["features"]
    assert feature["properties"]["division_code"] == QINGXU
    assert feature["properties"]["scans"] == 3  # the forged code's scan counts nowhere
    assert set(feature["properties"]) >= COMMON


# --- Layer contents -----------------------------------------------------------------------------


def test_qingxus_map_has_qingxu_grapes_area_and_its_bases(world, province, shanxi):
    qingxu = shanxi[QINGXU]
    (area,) = layers.layer_collection(province, "protected_areas", division=qingxu)["features"]
    props = area["properties"]
    assert props["name"] == "清徐葡萄"
    assert (props["approximate"], props["basis"]) == (True, "按所列乡镇近似")
    # The towns cannot be placed offline; the county they are listed under can.
    assert props["area_hectares"] == pytest.approx(60_570, rel=0.01)
    assert props["url"] == f"/registry/products/{world.grape.pk}/"
    bases = layers.layer_collection(province, "bases", division=qingxu, product=world.grape)
    assert _names(bases) == {"马峪基地", "张三的葡萄园"}


def test_every_feature_has_the_common_properties(world, province):
    for layer in layers.LAYERS:
        collection = layers.layer_collection(province, layer)
        assert collection["type"] == "FeatureCollection"
        assert collection["features"], layer
        for feature in collection["features"]:
            assert set(feature["properties"]) >= COMMON, layer
            assert feature["properties"]["layer"] == layer


def test_a_base_carries_its_area_and_checks(world, province):
    bases = _by_name(layers.layer_collection(province, "bases"))
    props = bases["马峪基地"]["properties"]
    assert props["area_mu"] == 120.0
    assert props["area_hectares"] == 8.0
    assert props["boundary_area_mu"] is None
    assert props["inside_protected_area"] is None  # no uploaded polygon: nothing checked
    assert props["in_recorded_county"] is True
    assert props["kind_label"] == "核心生产基地"
    assert props["url"] == f"/producers/bases/{world.cooperative_base.pk}/"


def test_a_polygon_base_is_drawn_with_its_boundary_and_computed_area(world, province, shanxi):
    x, y = QINGXU_SEAT
    ProductionBase.objects.filter(pk=world.household_base.pk).update(
        boundary=square(x, y, 0.01),
        boundary_area_mu=Decimal("1234.50"),
        longitude=None,
        latitude=None,
        min_longitude=Decimal(str(x)),
        max_longitude=Decimal(str(x + 0.01)),
        min_latitude=Decimal(str(y)),
        max_latitude=Decimal(str(y + 0.01)),
    )
    staff = _by_name(layers.layer_collection(province, "bases"))["张三的葡萄园"]
    assert staff["geometry"]["type"] == "Polygon"
    assert staff["properties"]["area_mu"] == 120.0  # as reported
    assert staff["properties"]["boundary_area_mu"] == 1234.5
    assert staff["properties"]["boundary_area_hectares"] == 82.3
    assert staff["properties"]["in_recorded_county"] is True


def test_protected_area_bases_uploaded_box_and_divisions(world, province, shanxi):
    x, y = QINGXU_SEAT
    ProductFactory.create(
        name="围栏葡萄",
        protected_area_boundary=square(x - 0.02, y - 0.02, 0.04),
        divisions=[shanxi[QINGXU]],
    )
    ProductFactory.create(name="孝义产品", protected_area="孝义市全境", divisions=[shanxi[XIAOYI]])
    ProductFactory.create(name="无处可放")  # no polygon, box or division: not drawn
    areas_by_name = _by_name(layers.layer_collection(province, "protected_areas"))
    assert set(areas_by_name) == {"清徐葡萄", "平遥牛肉", "围栏葡萄", "孝义产品"}
    facts = {
        n: (f["properties"]["approximate"], f["properties"]["basis"])
        for n, f in areas_by_name.items()
    }
    assert facts["围栏葡萄"] == (False, "上传边界")
    assert facts["平遥牛肉"] == (True, "按经纬度范围近似")
    assert facts["孝义产品"] == (True, "按所在行政区划近似")
    # The box cut to 平遥's boundary: within the box, smaller than it.
    beef = areas_by_name["平遥牛肉"]
    ring = beef["geometry"]["coordinates"][0]
    assert all(112.0 <= lon <= 112.3 and 37.1 <= lat <= 37.3 for lon, lat in ring)


def test_producers_are_placed_at_their_first_base_for_staff(world, province):
    producers = _by_name(layers.layer_collection(province, "producers"))
    coop = producers["马峪葡萄专业合作社"]
    assert coop["geometry"]["coordinates"] == [112.312, 37.603]
    assert (coop["properties"]["approximate"], coop["properties"]["basis"]) == (False, "基地位置")
    assert coop["properties"]["authorized"] is True
    assert producers["张三"]["properties"]["authorized"] is False
    assert coop["properties"]["products"] == ["清徐葡萄"]


def test_a_producer_without_a_placed_base_sits_at_its_county(world, province, shanxi):
    producer(shanxi[XIAOYI], name="孝义无基地主体")
    feature = _by_name(layers.layer_collection(province, "producers"))["孝义无基地主体"]
    assert feature["properties"]["approximate"] is True
    assert (
        tuple(feature["geometry"]["coordinates"])
        == areas.representative_points()[shanxi[XIAOYI].pk]
    )


def test_events_and_labs_sit_at_their_county_marked_approximate(world, province):
    (event,) = layers.layer_collection(province, "events")["features"]
    assert event["properties"]["place"] == "马峪乡文化站"
    assert event["properties"]["attendees"] == 40
    assert event["properties"]["url"] == f"/production/training/{world.training.pk}/"
    assert event["properties"]["approximate"] is True
    (lab,) = layers.layer_collection(province, "labs")["features"]
    assert lab["properties"]["name"] == "清徐检测站"


def test_product_filter_narrows_every_layer(world, province):
    beef = world.beef
    assert _names(layers.layer_collection(province, "bases", product=beef)) == {"平遥养殖基地"}
    assert _names(layers.layer_collection(province, "producers", product=beef)) == {
        "平遥牛肉合作社"
    }
    assert _names(layers.layer_collection(province, "protected_areas", product=beef)) == {
        "平遥牛肉"
    }
    assert layers.layer_collection(province, "scans", product=beef)["features"] == []
    assert layers.layer_collection(province, "events", product=beef)["features"] == []


# --- Boundaries ----------------------------------------------------------------------------------


def test_division_collections_for_the_province_and_a_city(shanxi):
    counties = layers.division_collection("county")
    assert len(counties["features"]) == 117
    pingyao = next(f for f in counties["features"] if f["properties"]["code"] == PINGYAO)
    assert pingyao["properties"] == {
        "code": PINGYAO,
        "name": "平遥县",
        "level": "county",
        "parent_code": JINZHONG,
    }
    assert len(layers.division_collection("city")["features"]) == 11
    jinzhong = layers.division_collection("county", parent=shanxi[JINZHONG])
    assert {f["properties"]["parent_code"] for f in jinzhong["features"]} == {JINZHONG}
    assert len(jinzhong["features"]) == 11


def test_the_province_drawing_is_simplified_valid_and_cached(shanxi):
    drawn = layers.division_collection("county")
    assert drawn is layers.division_collection("county")  # one build per boundaries version
    shapes = [shape(f["geometry"]) for f in drawn["features"]]
    assert all(s.is_valid and not s.is_empty for s in shapes)
    stored = DivisionBoundary.objects.filter(division__level="county").values_list(
        "geojson", flat=True
    )
    stored_vertices = sum(shapely.get_num_coordinates(shapely.from_geojson(t)) for t in stored)
    assert sum(shapely.get_num_coordinates(s) for s in shapes) < stored_vertices * 0.7
    # A city's own counties are drawn as stored.
    jinzhong = layers.division_collection("county", parent=shanxi[JINZHONG])
    pingyao = next(f for f in jinzhong["features"] if f["properties"]["code"] == PINGYAO)
    stored_pingyao = DivisionBoundary.objects.get(division__code=PINGYAO).geojson
    assert shapely.get_num_coordinates(shape(pingyao["geometry"])) == (
        shapely.get_num_coordinates(shapely.from_geojson(stored_pingyao))
    )


# --- Measures and figures ------------------------------------------------------------------------


def test_county_measures(world, province):
    assert measures.county_measures(province, "products") == {PINGYAO: 1, QINGXU: 1}
    assert measures.county_measures(province, "bases") == {PINGYAO: 1, QINGXU: 2}
    assert measures.county_measures(province, "authorized") == {QINGXU: 1}
    assert measures.county_measures(province, "scans") == {QINGXU: 3}


def test_county_measures_stay_in_the_users_scope(world, qingxu_admin):
    assert measures.county_measures(qingxu_admin, "bases") == {QINGXU: 2}
    assert measures.county_measures(qingxu_admin, "products") == {QINGXU: 1}


def test_public_measures_count_what_the_public_map_shows(world):
    assert measures.county_measures(None, "bases", public=True) == {PINGYAO: 1, QINGXU: 1}
    assert measures.county_measures(None, "authorized", public=True) == {QINGXU: 1}


def test_unknown_measure_is_refused(world, province):
    with pytest.raises(GimapError) as caught:
        measures.county_measures(province, "farmers")
    assert caught.value.code == "unknown_measure"


def test_county_figures(world, qingxu_admin, shanxi):
    figures = measures.county_figures(qingxu_admin, shanxi[QINGXU])
    assert figures["division"]["name"] == "清徐县"
    assert [p["name"] for p in figures["products"]] == ["清徐葡萄"]
    assert figures["products"][0]["url"] == f"/registry/products/{world.grape.pk}/"
    assert (figures["producers"], figures["authorized"]) == (2, 1)
    assert (figures["bases"], figures["bases_area_mu"]) == (2, Decimal("240.00"))
    assert figures["bases_area_hectares"] == Decimal("16.0000")
    assert (figures["labs"], figures["trainings"], figures["training_attendees"]) == (1, 1, 40)
    assert (figures["scans"], figures["certificates"]) == (3, 0)


def test_public_county_figures_leave_out_the_staff_figures(world, shanxi):
    figures = measures.county_figures(None, shanxi[QINGXU], public=True)
    assert figures["products"][0]["url"] == f"/products/{world.grape.pk}/"
    assert (figures["authorized"], figures["bases"], figures["scans"]) == (1, 1, 3)
    assert figures["producers"] is None
    assert figures["labs"] is None
    assert figures["trainings"] is None


def test_a_citys_figures_add_up_its_counties(world, province, shanxi):
    figures = measures.county_figures(province, shanxi[JINZHONG])
    assert (figures["bases"], figures["producers"]) == (1, 1)
    assert [p["name"] for p in figures["products"]] == ["平遥牛肉"]


# --- Performance ---------------------------------------------------------------------------------


def test_a_county_with_1000_bases_is_drawn_in_a_constant_number_of_queries(
    world, qingxu_admin, shanxi
):
    rows = [
        ProductionBase(
            producer=world.cooperative,
            product=world.grape,
            kind="core",
            name=f"批量基地{i}",
            division=shanxi[QINGXU],
            area_mu=Decimal("50"),
            longitude=Decimal("112.30") + Decimal(i % 50) / 1000,
            latitude=Decimal("37.55") + Decimal(i // 50) / 1000,
        )
        for i in range(1000)
    ]
    ProductionBase.objects.bulk_create(rows)
    layers.layer_collection(qingxu_admin, "bases", division=shanxi[QINGXU])  # warm the caches
    with CaptureQueriesContext(connection) as queries:
        collection = layers.layer_collection(qingxu_admin, "bases", division=shanxi[QINGXU])
    assert len(collection["features"]) == 1002
    # The division's subtree, the boundaries' version, the bases in one join.
    assert len(queries) == 3, [q["sql"][:120] for q in queries]


def test_a_city_products_towns_are_placed_in_the_counties_its_text_names(province, shanxi):
    ProductFactory.create(
        name="晋中某产品",
        protected_area="平遥县段村镇、介休市义安镇等 2 个乡镇",
        divisions=[shanxi[JINZHONG]],
    )
    (feature,) = layers.layer_collection(province, "protected_areas")["features"]
    props = feature["properties"]
    assert (props["approximate"], props["basis"]) == (True, "按所列乡镇近似")
    counties = DivisionBoundary.objects.filter(division__code__in=[PINGYAO, JIEXIU])
    expected = sum(float(b.area_hectares) for b in counties)
    assert props["area_hectares"] == pytest.approx(expected, rel=0.001)
