"""Helpers of the brand tests (pytest loads only conftest.py; these are plain functions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from rest_framework.test import APIClient

from dibiao.brand.choices import EventKind, EventLevel, MediaLevel
from dibiao.brand.models import BrandStory, Exhibition, MediaReport, PromoVideo
from dibiao.brand.services.exhibitions import exhibition_create
from dibiao.brand.services.reports import report_create
from dibiao.brand.services.stories import story_create
from dibiao.brand.services.videos import video_create
from dibiao.registry.models import GIProduct


def report_data(product: GIProduct, **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "product": product,
        "outlet": "山西日报",
        "level": MediaLevel.PROVINCIAL,
        "published_on": dt.date(2021, 3, 15),
        "title": f"{product.name}：千年名品焕新颜",
        "link": "https://www.example.cn/news/1.html",
        "notes": "",
    }
    data.update(values)
    return data


def report(product: GIProduct, actor: Any = None, **values: Any) -> MediaReport:
    return report_create(actor=actor, data=report_data(product, **values))


def video_data(product: GIProduct, **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "product": product,
        "title": f"{product.name}宣传片",
        "duration_seconds": 330,
        "published_on": dt.date(2021, 6, 1),
        "platforms": "学习强国、抖音",
        "links": "https://www.example.cn/v/1",
        "notes": "",
    }
    data.update(values)
    return data


def video(product: GIProduct, actor: Any = None, **values: Any) -> PromoVideo:
    return video_create(actor=actor, data=video_data(product, **values))


def exhibition_data(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": EventKind.EXPO,
        "name": "第十八届中国国际农产品交易会",
        "level": EventLevel.NATIONAL,
        "start_on": dt.date(2021, 9, 24),
        "end_on": dt.date(2021, 9, 27),
        "place": "重庆国际博览中心",
        "division": None,
        "deals_count": 3,
        "deals_amount": "1250.50",
        "notes": "",
    }
    data.update(values)
    return data


def exhibition(products: list[GIProduct], actor: Any = None, **values: Any) -> Exhibition:
    return exhibition_create(actor=actor, data=exhibition_data(**values), products=products)


def story(product: GIProduct, actor: Any = None, **values: Any) -> BrandStory:
    data: dict[str, Any] = {
        "product": product,
        "title": f"{product.name}的故事",
        "body": "<p>相传汉代张骞出使西域带回葡萄。</p>",
    }
    data.update(values)
    return story_create(actor=actor, data=data)


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
