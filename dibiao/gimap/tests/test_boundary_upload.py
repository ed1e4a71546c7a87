"""The province replaces a county's boundary from the county map: validated, audited, refused
to others, bad files answered on the page with nothing changed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from dibiao.accounts.choices import Role
from dibiao.core.models import AuditLog, Division, DivisionBoundary
from dibiao.testing.factories import user_with_role

pytestmark = pytest.mark.django_db
QINGXU = "140121"


@pytest.fixture
def divisions() -> None:
    call_command("load_divisions", stdout=io.StringIO())


def _client(role: str, code: str) -> Client:
    client = Client()
    client.force_login(user_with_role(role, Division.objects.get(code=code)))
    return client


def _square(lon: float, lat: float, size: float) -> bytes:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}).encode()


def _upload(client: Client, body: bytes, note: str = "县自然资源局正式界线"):
    upload = io.BytesIO(body)
    upload.name = "qingxu.geojson"
    return client.post(f"/map/boundary/{QINGXU}/", {"file": upload, "note": note})


def test_the_province_replaces_a_county_boundary_and_it_is_audited(divisions):
    client = _client(Role.PROVINCE_ADMIN, "140000")
    page = client.get(f"/map/county/{QINGXU}/")
    assert "替换县界" in page.content.decode()
    assert client.get(f"/map/boundary/{QINGXU}/").status_code == 200
    before = DivisionBoundary.objects.get(division__code=QINGXU)
    # A square over the county seat: inside the province and overlapping the present one.
    response = _upload(client, _square(112.30, 37.55, 0.1))
    assert response.status_code == 302
    after = DivisionBoundary.objects.get(division__code=QINGXU)
    assert after.revision == before.revision + 1
    assert after.source == "uploaded"
    assert after.source_note == "县自然资源局正式界线"
    assert AuditLog.objects.filter(detail__contains="清徐县").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "边界"),
        (b"\xff\xfe\x00", "UTF-8"),
        (json.dumps({"type": "Point", "coordinates": [112.3, 37.6]}).encode(), "边界"),
        (_square(116.3, 39.9, 0.1), "边界"),  # Beijing: outside the province
    ],
)
def test_a_bad_file_is_answered_on_the_page_and_changes_nothing(divisions, body, message):
    client = _client(Role.PROVINCE_ADMIN, "140000")
    before = DivisionBoundary.objects.get(division__code=QINGXU)
    response = _upload(client, body)
    assert response.status_code == 400
    assert message in response.content.decode()
    after = DivisionBoundary.objects.get(division__code=QINGXU)
    assert (after.revision, after.geojson) == (before.revision, before.geojson)


def test_only_the_province_may_replace_a_boundary(divisions):
    county = _client(Role.COUNTY_ADMIN, QINGXU)
    assert county.get(f"/map/boundary/{QINGXU}/").status_code == 403
    assert _upload(county, _square(112.30, 37.55, 0.1)).status_code == 403
    assert "替换县界" not in county.get(f"/map/county/{QINGXU}/").content.decode()
    province = _client(Role.PROVINCE_ADMIN, "140000")
    assert province.get("/map/boundary/999999/").status_code == 404
