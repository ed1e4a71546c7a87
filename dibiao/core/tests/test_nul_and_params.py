"""Bad input that used to reach the database or int(): NUL characters, exotic digits, ids past
64 bits, JSON nested past the recursion limit. Each is a 400, never a 500."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from dibiao.core import geometry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/v1/products/?q=%00", "/api/v1/organizations/?q=a%00b"])
def test_a_nul_in_an_api_query_is_a_coded_400(client, county_admin, url):
    client.force_login(county_admin)
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_nul_in_a_page_query_is_a_400_page(client, county_admin):
    client.force_login(county_admin)
    response = client.get("/registry/products/?q=%00")
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_a_nul_in_a_json_body_is_a_coded_400(client, county_admin):
    client.force_login(county_admin)
    response = client.post(
        "/api/v1/organizations/",
        data=json.dumps({"name": "a\u0000b", "kind": "producer", "division": "140121"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_nul_bytes_inside_an_uploaded_file_are_not_refused_by_the_guard(client, county_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(county_admin)
    upload = SimpleUploadedFile("x.bin", b"\x00\x01\x02", content_type="application/octet-stream")
    response = client.post("/api/v1/producers/import/", data={"file": upload})
    # Refused by the upload validator for its type, not as a NUL in the request.
    assert response.status_code == 400
    assert "空字符" not in response.json()["message"]


@pytest.mark.parametrize("value", ["²", "1" * 19, "-1", "1e3"])
def test_id_filters_that_are_not_plain_ids_are_a_field_error(client, county_admin, value):
    client.force_login(county_admin)
    response = client.get("/api/v1/producers/", {"product": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_deeply_nested_json_is_a_syntax_error_not_a_crash():
    with pytest.raises(ValidationError) as caught:
        geometry.parse_polygon("[" * 100_000 + "]" * 100_000)
    assert caught.value.code == "geojson_syntax"


@pytest.mark.parametrize("value", [10**25, "²", 0, True, "abc"])
def test_an_id_in_a_body_that_could_not_be_a_key_is_a_field_error(client, county_admin, value):
    client.force_login(county_admin)
    response = client.post(
        "/api/v1/certificates/",
        data={"batch": value, "quantity": "1", "basis": "quality_control", "contact": "0351-1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "batch" in response.json()["errors"]
