from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from dibiao.accounts.choices import Role
from dibiao.core.models import AuditLog
from dibiao.gimap.tests.conftest import JINZHONG, PINGYAO, QINGXU, TAIYUAN
from dibiao.testing.factories import user_with_role

pytestmark = pytest.mark.django_db

GEOJSON = "application/geo+json"


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def province(shanxi):
    return client_for(user_with_role(Role.PROVINCE_ADMIN, shanxi["140000"]))


@pytest.fixture
def qingxu_user(shanxi):
    return user_with_role(Role.COUNTY_ADMIN, shanxi[QINGXU])


@pytest.fixture
def qingxu(qingxu_user):
    return client_for(qingxu_user)


@pytest.fixture
def pingyao(shanxi):
    return client_for(user_with_role(Role.COUNTY_ADMIN, shanxi[PINGYAO]))


def _features(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == GEOJSON
    return json.loads(response.content)["features"]


def _names(response):
    return {f["properties"]["name"] for f in _features(response)}


def _coded(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response.json()["code"] == code
    assert response.json()["message"]


# --- Locate (acceptance) ------------------------------------------------------------------------


def test_locate_finds_pingyao_for_the_acceptance_point(province):
    response = province.get("/api/v1/map/locate/", {"lon": "112.175", "lat": "37.20"})
    assert response.status_code == 200
    body = response.json()
    assert body["county"] == {
        "code": PINGYAO,
        "name": "平遥县",
        "level": "county",
        "parent_code": JINZHONG,
    }
    assert body["city"]["name"] == "晋中市"


def test_public_locate_needs_no_login(shanxi):
    response = client_for().get("/api/v1/public/map/locate/", {"lon": "112.358", "lat": "37.607"})
    assert response.status_code == 200
    assert response.json()["county"]["code"] == QINGXU


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"lon": "abc", "lat": "37.2"}, 400, "invalid_coordinates"),
        ({"lat": "37.2"}, 400, "invalid_coordinates"),
        ({"lon": "112.1", "lat": "3７.2"}, 400, "invalid_coordinates"),  # a full-width digit
        ({"lon": "1" * 30, "lat": "37.2"}, 400, "invalid_coordinates"),
        ({"lon": "-400", "lat": "37.2"}, 400, "coordinates_out_of_range"),
        ({"lon": "37.2", "lat": "112.175"}, 400, "coordinates_out_of_range"),
        ({"lon": "116.40", "lat": "39.90"}, 404, "no_county"),
    ],
)
def test_locate_refuses_bad_input_with_a_code(shanxi, params, status, code):
    _coded(client_for().get("/api/v1/public/map/locate/", params), status, code)


# --- Layers --------------------------------------------------------------------------------------


def test_layer_is_geojson_in_the_users_scope(world, qingxu):
    assert _names(qingxu.get("/api/v1/map/layers/bases/")) == {"马峪基地", "张三的葡萄园"}


def test_another_countys_user_gets_404_for_qingxus_map(world, pingyao):
    _coded(pingyao.get("/api/v1/map/layers/bases/", {"division": QINGXU}), 404, "not_found")
    _coded(pingyao.get(f"/api/v1/map/counties/{QINGXU}/"), 404, "not_found")
    assert _names(pingyao.get("/api/v1/map/layers/bases/")) == {"平遥养殖基地"}


def test_qingxus_map_data_has_qingxu_grapes_area_and_bases(world, qingxu):
    areas = _features(qingxu.get("/api/v1/map/layers/protected_areas/", {"division": QINGXU}))
    assert [f["properties"]["name"] for f in areas] == ["清徐葡萄"]
    assert areas[0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    bases = qingxu.get("/api/v1/map/layers/bases/", {"division": QINGXU, "product": world.grape.pk})
    assert _names(bases) == {"马峪基地", "张三的葡萄园"}


def test_download_is_an_attachment_named_for_layer_and_division_and_audited(world, qingxu):
    response = qingxu.get("/api/v1/map/layers/bases/", {"division": QINGXU, "download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == GEOJSON
    assert response["Content-Disposition"] == f'attachment; filename="bases-{QINGXU}.geojson"'
    assert len(json.loads(response.content)["features"]) == 2
    row = AuditLog.objects.get(action="export", object_type="gimap.layer")
    assert "生产基地" in row.detail
    assert "2 个要素" in row.detail


def test_public_layers_need_no_login_and_staff_layers_are_not_public(world):
    public = client_for()
    assert _names(public.get("/api/v1/public/map/layers/bases/")) == {"马峪基地", "平遥养殖基地"}
    for layer in ("labs", "events"):
        _coded(public.get(f"/api/v1/public/map/layers/{layer}/"), 404, "layer_not_public")


def test_staff_endpoints_need_a_login(world):
    response = client_for().get("/api/v1/map/layers/bases/")
    _coded(response, 401, "not_authenticated")


def test_the_three_administrators_are_refused_the_staff_map(world, shanxi):
    auditor = client_for(user_with_role(Role.AUDITOR, shanxi["140000"]))
    _coded(auditor.get("/api/v1/map/layers/bases/"), 403, "permission_denied")


@pytest.mark.parametrize(
    ("url", "params", "status", "code"),
    [
        ("/api/v1/map/layers/farmers/", {}, 404, "unknown_layer"),
        ("/api/v1/map/layers/bases/", {"division": "14012"}, 400, "invalid_division"),
        ("/api/v1/map/layers/bases/", {"division": "1401２1"}, 400, "invalid_division"),
        ("/api/v1/map/layers/bases/", {"division": "999999"}, 404, "not_found"),
        ("/api/v1/map/layers/bases/", {"product": "x"}, 400, "invalid"),
        ("/api/v1/map/layers/bases/", {"product": "9" * 30}, 400, "invalid"),
        ("/api/v1/map/layers/bases/", {"product": "999999"}, 404, "not_found"),
        ("/api/v1/map/measures/farmers/", {}, 404, "unknown_measure"),
        ("/api/v1/map/counties/abc/", {}, 400, "invalid_division"),
        ("/api/v1/map/counties/999999/", {}, 404, "not_found"),
        ("/api/v1/map/divisions/", {"level": "town"}, 400, "invalid_level"),
        ("/api/v1/map/divisions/", {"parent": "x"}, 400, "invalid_division"),
    ],
)
def test_bad_input_is_a_coded_error_never_a_500(world, province, url, params, status, code):
    _coded(province.get(url, params), status, code)
    public_url = url.replace("/api/v1/map/", "/api/v1/public/map/")
    _coded(client_for().get(public_url, params), status, code)


def test_a_product_out_of_scope_and_unregistered_is_not_found(world, pingyao, shanxi):
    world.grape.status = "cancelled"
    world.grape.save()
    response = pingyao.get("/api/v1/map/layers/bases/", {"product": world.grape.pk})
    _coded(response, 404, "not_found")


# --- Divisions, measures, figures ----------------------------------------------------------------


def test_divisions_of_the_province_and_of_a_city(shanxi, province):
    assert len(_features(province.get("/api/v1/map/divisions/"))) == 117
    assert len(_features(province.get("/api/v1/map/divisions/", {"level": "city"}))) == 11
    taiyuan = _features(client_for().get("/api/v1/public/map/divisions/", {"parent": TAIYUAN}))
    assert QINGXU in {f["properties"]["code"] for f in taiyuan}


def test_measures_per_county(world, province):
    response = province.get("/api/v1/map/measures/bases/")
    assert response.status_code == 200
    assert response.json() == {
        "measure": "bases",
        "name": "基地数",
        "values": {PINGYAO: 1, QINGXU: 2},
    }
    public = client_for().get("/api/v1/public/map/measures/scans/")
    assert public.json()["values"] == {QINGXU: 3}


def test_county_figures(world, qingxu):
    response = qingxu.get(f"/api/v1/map/counties/{QINGXU}/")
    assert response.status_code == 200
    body = response.json()
    assert body["division"]["name"] == "清徐县"
    assert (body["bases"], body["bases_area_mu"], body["producers"]) == (2, "240.00", 2)
    public = client_for().get(f"/api/v1/public/map/counties/{QINGXU}/").json()
    assert (public["bases"], public["producers"], public["labs"]) == (1, None, None)


def test_the_public_api_ignores_a_session(world, qingxu_user):
    """A logged-in county user on the public twin still gets the public view."""
    client = APIClient()
    client.force_login(qingxu_user)
    assert _names(client.get("/api/v1/public/map/layers/bases/")) == {"马峪基地", "平遥养殖基地"}
