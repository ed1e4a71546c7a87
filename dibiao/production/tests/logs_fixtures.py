"""Helpers for the production-log, restriction and training tests (pytest loads only
conftest.py, which is shared; these are plain functions the test modules call)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client
from rest_framework.test import APIClient

from dibiao.production.services.restrictions import restriction_lists_load_file
from dibiao.registry.choices import ProductCategory
from dibiao.testing.factories import ProductFactory, producer_user, production_base

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A local (Asia/Shanghai) time on `day` ("2026-05-01")."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=SHANGHAI)


def load_lists() -> None:
    restriction_lists_load_file()


def grower(tree: dict[str, Any], county: str = "c1a", *, category: str = ProductCategory.FRUIT_TEA):
    """A producer login in `county` with one base of a product of that county:
    (user, producer, base, product)."""
    product = ProductFactory.create(category=category, divisions=[tree[county]])
    user, entry = producer_user(tree[county], products=[product])
    base = production_base(entry, product, name=f"{entry.name}基地")
    return user, entry, base, product


def pesticide(**overrides: Any) -> dict[str, Any]:
    """An input log of a pesticide with a 7-day pre-harvest interval."""
    data: dict[str, Any] = {
        "kind": "input",
        "occurred_at": at("2026-05-01"),
        "operator": "王师傅",
        "input_category": "pesticide",
        "input_name": "吡虫啉",
        "registration_number": "PD20080001",
        "active_ingredient": "吡虫啉",
        "dose": "20 克/亩",
        "applied_area_mu": "10",
        "safety_interval_days": 7,
    }
    data.update(overrides)
    return data


def harvest(day: str, hour: int = 10, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "harvest",
        "occurred_at": at(day, hour),
        "operator": "王师傅",
        "quantity": "500",
        "unit": "千克",
    }
    data.update(overrides)
    return data


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
