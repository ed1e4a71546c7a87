"""The map pages: who opens which county's map, what the public pages show, the navigation."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser

from dibiao.accounts.choices import OrganizationKind, Role
from dibiao.gimap.tests.conftest import PINGYAO, QINGXU, QINGXU_SEAT, TAIYUAN, place_base
from dibiao.portal.navigation import _items
from dibiao.production.models import TrainingSession
from dibiao.testing.factories import (
    OrganizationFactory,
    ProductFactory,
    producer,
    producer_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db

PROVINCE = "140000"


def _config(response) -> dict:
    """The settings the page gives map.js (its json_script)."""
    html = response.content.decode()
    start = html.index('<script id="map-config" type="application/json">') + len(
        '<script id="map-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


@pytest.fixture
def province_user(shanxi):
    return user_with_role(Role.PROVINCE_ADMIN, shanxi[PROVINCE])


@pytest.fixture
def qingxu_user(shanxi):
    return user_with_role(Role.COUNTY_ADMIN, shanxi[QINGXU])


@pytest.fixture
def taiyuan_user(shanxi):
    return user_with_role(Role.CITY_ADMIN, shanxi[TAIYUAN])


def test_the_province_map_offers_all_117_counties_to_the_province(client, province_user):
    client.force_login(province_user)
    response = client.get("/map/")
    assert response.status_code == 200
    config = _config(response)
    assert config["page"] == "province"
    assert len(config["openable"]) == 117
    assert config["api"]["divisions"] == "/api/v1/map/divisions/"
    assert config["api"]["measure"] == "/api/v1/map/measures/__measure__/"
    assert config["tileUrl"] == ""
    html = response.content.decode()
    assert 'href="/map/county/140121/"' in html
    assert "vendor/leaflet/leaflet.js" in html
    assert "unpkg" not in html
    assert "cdn" not in html.lower()


def test_a_configured_tile_url_reaches_the_map(client, province_user, settings):
    settings.DIBIAO_MAP_TILE_URL = "https://tiles.example.cn/{z}/{x}/{y}.png"
    client.force_login(province_user)
    assert _config(client.get("/map/"))["tileUrl"] == settings.DIBIAO_MAP_TILE_URL


def test_a_county_user_may_open_only_its_own_county(client, qingxu_user):
    client.force_login(qingxu_user)
    assert _config(client.get("/map/"))["openable"] == [QINGXU]
    response = client.get(f"/map/county/{QINGXU}/")
    assert response.status_code == 200
    assert "清徐县地理标志一张图" in response.content.decode()
    assert client.get(f"/map/county/{PINGYAO}/").status_code == 404
    assert client.get(f"/map/county/{PINGYAO}/print.png").status_code == 404
    assert client.get(f"/map/county/{PINGYAO}/print.pdf").status_code == 404


def test_a_city_user_opens_its_own_counties_only(client, taiyuan_user, shanxi):
    client.force_login(taiyuan_user)
    openable = _config(client.get("/map/"))["openable"]
    taiyuan_counties = sorted(d.code for d in shanxi.values() if d.parent_id == shanxi[TAIYUAN].pk)
    assert openable == taiyuan_counties
    assert QINGXU in openable
    assert client.get(f"/map/county/{QINGXU}/").status_code == 200
    assert client.get(f"/map/county/{PINGYAO}/").status_code == 404


def test_a_producer_may_open_any_county_and_is_shown_its_own_rows_there(client, shanxi):
    user, _ = producer_user(shanxi[QINGXU])
    client.force_login(user)
    assert len(_config(client.get("/map/"))["openable"]) == 117
    assert client.get(f"/map/county/{PINGYAO}/").status_code == 200


@pytest.mark.parametrize("code", ["140100", "140000", "999999", "abc", "1401211"])
def test_only_a_known_county_has_a_map(client, province_user, code):
    client.force_login(province_user)
    assert client.get(f"/map/county/{code}/").status_code == 404
    assert client.get(f"/public/map/county/{code}/").status_code == 404


def test_the_administrators_have_no_staff_map(client, shanxi):
    sysadmin = user_with_role(Role.SYSADMIN, shanxi[PROVINCE])
    client.force_login(sysadmin)
    assert client.get("/map/").status_code == 403
    assert client.get(f"/map/county/{QINGXU}/").status_code == 403
    assert client.get(f"/map/county/{QINGXU}/print.png").status_code == 403


def test_the_staff_pages_need_a_login(client, shanxi):
    for url in ("/map/", f"/map/county/{QINGXU}/", f"/map/county/{QINGXU}/print.pdf"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_county_page_has_every_layer_the_figures_and_the_downloads(
    client, qingxu_user, qingxu_grape, qingxu_cooperative
):
    place_base(qingxu_cooperative, qingxu_grape, *QINGXU_SEAT, name="城边基地", area_mu="300")
    client.force_login(qingxu_user)
    response = client.get(f"/map/county/{QINGXU}/")
    config = _config(response)
    assert config["county"] == {"code": QINGXU, "name": "清徐县", "parent": TAIYUAN}
    assert config["layers"] == ["protected_areas", "bases", "producers", "labs", "events", "scans"]
    html = response.content.decode()
    assert f'<option value="{qingxu_grape.pk}">清徐葡萄</option>' in html
    assert "1 个，300 亩" in html  # the side panel's bases
    assert f"/api/v1/map/layers/bases/?division={QINGXU}&amp;download=1" in html
    assert f"/map/county/{QINGXU}/print.pdf" in html


def test_the_product_filter_keeps_only_a_product_of_the_county(
    client, province_user, qingxu_grape, shanxi
):
    elsewhere = ProductFactory.create(name="平遥牛肉", divisions=[shanxi[PINGYAO]])
    client.force_login(province_user)
    html = client.get(f"/map/county/{QINGXU}/?product={qingxu_grape.pk}").content.decode()
    assert f'<option value="{qingxu_grape.pk}" selected>' in html
    assert f"print.png?product={qingxu_grape.pk}" in html
    html = client.get(f"/map/county/{QINGXU}/?product={elsewhere.pk}").content.decode()
    assert "selected>" not in html
    assert "平遥牛肉" not in html


def test_an_unknown_measure_falls_back_to_the_products(client, province_user):
    client.force_login(province_user)
    html = client.get("/map/?measure=nonsense").content.decode()
    assert '<option value="products" selected>' in html
    html = client.get("/map/?measure=scans").content.decode()
    assert '<option value="scans" selected>' in html


# --- The public map ---------------------------------------------------------------------------


def test_the_public_pages_open_without_login_and_use_the_public_api(client, shanxi):
    response = client.get("/public/map/")
    assert response.status_code == 200
    config = _config(response)
    assert config["public"] is True
    assert config["api"]["layer"] == "/api/v1/public/map/layers/__layer__/"
    assert len(config["openable"]) == 117
    assert 'href="/public/map/county/140728/"' in response.content.decode()
    response = client.get(f"/public/map/county/{PINGYAO}/")
    assert response.status_code == 200
    assert set(_config(response)["layers"]) == {"protected_areas", "bases", "producers", "scans"}


def test_the_public_county_page_shows_nothing_that_is_not_public(
    client, shanxi, qingxu_grape, qingxu_cooperative
):
    household = producer(
        shanxi[QINGXU], name="张三种植户", kind="large_household", products=[qingxu_grape]
    )
    place_base(household, qingxu_grape, *QINGXU_SEAT, name="张三自家地块")
    TrainingSession.objects.create(
        product=qingxu_grape,
        division=shanxi[QINGXU],
        topic="葡萄冬剪内部培训",
        held_on="2026-01-05",
        place="县农业农村局三楼会议室",
        trainer="李老师",
        attendee_count=40,
        organizer=OrganizationFactory.create(
            kind=OrganizationKind.COUNTY_BUREAU, division=shanxi[QINGXU]
        ),
    )
    html = client.get(f"/public/map/county/{QINGXU}/").content.decode()
    for private in ("张三", "葡萄冬剪", "会议室", "检测机构", "培训", "生产经营主体</dt>"):
        assert private not in html, private
    assert "/api/v1/map/" not in html
    assert "print.png" not in html
    assert "print.pdf" not in html
    assert "清徐葡萄" in html  # a registered product is public


def test_the_navigation_links_both_maps(shanxi, province_user):
    assert ("地标地图", "/public/map/") in _items(AnonymousUser())
    assert ("一张图", "/map/") not in _items(AnonymousUser())
    assert ("一张图", "/map/") in _items(province_user)
    sysadmin = user_with_role(Role.SYSADMIN, shanxi[PROVINCE])
    assert ("一张图", "/map/") not in _items(sysadmin)
