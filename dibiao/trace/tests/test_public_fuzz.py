"""Bad input to the public trace endpoints (/t/…, /api/v1/trace/…, /c/…/, /01/…/10/…) is a
page or a 404/429 answer, never a 500; and what a public page shows carries no phone or ID
number, even one typed into a free-text field of a trace event."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client

from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db

ODD = [
    "x",
    "0",
    "-",
    "..",
    "%",
    "%25",
    "'\"<>",
    "<script>alert(1)</script>",
    "葡萄",
    "😀" * 10,
    "A" * 5000,
    "9" * 400,
    "*~$=",
    "ＡＢＣ",
    "\u200b\u202e",
    " ",
    "a b",
    "\t",
]


@pytest.fixture(autouse=True)
def label_keys(settings):
    settings.DIBIAO_LABEL_KEYS = fx.KEYS
    settings.DIBIAO_LABEL_KEY_ID = fx.KEY_ID


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(fx.at("2026-10-01", 9, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(tree):
    return fx.labels(tree)


@pytest.mark.parametrize("text", ODD)
def test_odd_input_to_the_public_endpoints_is_never_a_500(world, text):
    client = Client(raise_request_exception=False)
    piece = quote(text, safe="")
    urls = [
        f"/t/{piece}",
        f"/t/?code={piece}",
        f"/api/v1/trace/{piece}",
        f"/c/{piece}/",
        f"/01/{piece}/10/{piece}",
        f"/01/00000000000000/10/{piece}",
        f"/01/{piece}/10/001-20260901-001",
    ]
    for url in urls:
        response = client.get(url, REMOTE_ADDR=f"10.0.{len(url) % 200}.{len(text) % 200}")
        assert response.status_code < 500, (url, response.status_code)


PHONE_RE = re.compile(r"1[3-9]\d{9}")
ID_RE = re.compile(r"\d{17}[\dX]")
BUYER_PHONE = "13912345678"
BUYER_ID = "14010519800101123X"


def test_free_text_typed_into_trace_events_shows_no_phone_or_id_number_publicly(client, world):
    from dibiao.trace.models import TraceEvent, TraceEventInput
    from dibiao.trace.services.batches import batch_touch

    world.batch.gtin = "06901234567892"
    world.batch.status = "recalled"
    world.batch.recalled_at = fx.at("2026-09-25")
    world.batch.recall_reason = f"买家 {BUYER_PHONE} 反映"
    world.batch.save()
    event = TraceEvent.objects.create(
        stage="sale",
        occurred_at=fx.at("2026-09-20"),
        producer=world.producer,
        source_name=f"收购点 身份证{BUYER_ID}",
        destination_name=f"张三 {BUYER_PHONE}",
        place=f"东于村 电话{BUYER_PHONE}",
    )
    TraceEventInput.objects.create(event=event, batch=world.batch, quantity=10)
    batch_touch(batch=world.batch)
    bodies = {
        "page": client.get(f"/t/{world.genuine}").content.decode(),
        "api": client.get(f"/api/v1/trace/{world.genuine}").content.decode(),
        "link": client.get(f"/01/06901234567892/10/{world.batch.number}").content.decode(),
    }
    # The timeline and the recall are there, only the numbers are masked.
    assert "张三 139****5678" in bodies["page"]
    assert "买家 139****5678 反映" in bodies["api"]
    for name, body in bodies.items():
        assert not PHONE_RE.search(body), name
        assert not ID_RE.search(body), name


def test_a_repeated_digital_link_is_built_once_per_batch_version(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dibiao.trace.services.batches import batch_touch

    world.batch.gtin = "06901234567892"
    world.batch.save()
    url = f"/01/06901234567892/10/{world.batch.number}"
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).status_code == 200
    assert len(again) == 1 < len(first)  # the batch lookup; its facts come from the cache
    world.batch.grade = None
    world.batch.recall_reason = ""
    batch_touch(batch=world.batch)
    with CaptureQueriesContext(connection) as touched:
        assert client.get(url).status_code == 200
    assert len(touched) > 1  # a new version is built afresh
