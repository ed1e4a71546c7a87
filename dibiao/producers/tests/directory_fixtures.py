"""Helpers for the directory, bases, farmers and import tests (plain functions: pytest loads
fixtures only from conftest.py, which is shared)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from dibiao.core.excel import xlsx_bytes
from dibiao.producers.imports import DirectoryImport, HouseholdImport
from dibiao.testing.factories import credit_code, id_number

PHONE_RE = re.compile(r"1[3-9]\d{9}")
ID_RE = re.compile(r"\d{17}[\dX]")
PLAIN_PHONE = "13912345678"
DIRECTORY_HEADERS = [c.header for c in DirectoryImport.columns]
HOUSEHOLD_HEADERS = [c.header for c in HouseholdImport.columns]


def client_as(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_as(user: Any = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def assert_no_personal_data(text: str, *plain: str) -> None:
    """Neither a full mobile number nor a full ID number appears, nor any of `plain`."""
    assert not PHONE_RE.search(text), PHONE_RE.search(text)
    assert not ID_RE.search(text), ID_RE.search(text)
    for value in plain:
        assert value not in text


def xlsx_upload(headers: list[str], rows: list[list[Any]], name: str = "导入.xlsx") -> Any:
    content = xlsx_bytes(sheet_title="Sheet1", headers=headers, rows=rows)
    return SimpleUploadedFile(
        name,
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def directory_row(n: int, county: str = "140121", **values: Any) -> list[Any]:
    """A valid row of the directory template: a cooperative, or with kind="种养大户" a large
    household identified by its ID number."""
    row: dict[str, Any] = {
        "name": f"导入合作社{n}",
        "kind": "农民专业合作社",
        "credit_code": credit_code(100_000 + n),
        "id_number": "",
        "legal_representative": "张三",
        "contact_name": "李四",
        "phone": f"139{n:08d}",
        "address": "某镇某村",
        "division": county,
        "products": "",
        "is_certificate_holder": "否",
        "is_scale_operator": "是",
    }
    row.update(values)
    if row["kind"] in {"种养大户", "个体农户"} and "id_number" not in values:
        row["credit_code"], row["id_number"] = "", id_number(n)
    return [row[c.key] for c in DirectoryImport.columns]


def household_row(n: int, **values: Any) -> list[Any]:
    row: dict[str, Any] = {
        "name": f"王{n}明",
        "id_number": id_number(n),
        "village": "东于村",
        "members": 4,
        "income": "48000.00",
    }
    row.update(values)
    return [row[c.key] for c in HouseholdImport.columns]


def square(lon: float, lat: float, size: float = 0.01) -> str:
    """A GeoJSON square polygon with its south-west corner at (lon, lat)."""
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


BOWTIE = json.dumps(
    {
        "type": "Polygon",
        "coordinates": [
            [[112.0, 37.0], [112.1, 37.1], [112.1, 37.0], [112.0, 37.1], [112.0, 37.0]]
        ],
    }
)
