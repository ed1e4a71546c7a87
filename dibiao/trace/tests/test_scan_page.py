"""The consumer scan page /t/<code> and GET /api/v1/trace/<code>: the five statuses, the scan
count, what a scan keeps (nothing personal), the rate limit, the cached facts, the page weight.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dibiao.production.models import GradeStandard
from dibiao.trace import codes
from dibiao.trace.choices import AlertKind
from dibiao.trace.models import CounterfeitAlert, Scan
from dibiao.trace.services.batches import batch_touch
from dibiao.trace.tests import scan_fixtures as fx

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 60 * 1024


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


def page(client: Client, code: str, **extra):
    return client.get(f"/t/{code}", **extra)


def api(client: Client, code: str, **extra):
    return client.get(f"/api/v1/trace/{code}", **extra)


# --- The five statuses ----------------------------------------------------------------------


def test_a_bound_code_is_genuine_with_product_batch_and_test_result(client, world):
    response = page(client, world.genuine)
    assert response.status_code == 200
    facts = response.context["facts"]
    assert facts["status"] == "genuine"
    assert facts["code"] == codes.group(world.genuine)
    assert facts["product"]["name"] == "清徐葡萄"
    assert facts["product"]["url"] == f"/products/{world.product.pk}/"
    assert facts["producer"] == {"name": "清徐县葡萄专业合作社", "county": "市141县140121"}
    assert facts["base"]["name"] == "东于葡萄基地"
    assert facts["batch"]["number"] == "001-20260901-001"
    assert facts["batch"]["harvest_date"] == "2026-09-01"
    [test] = facts["tests"]
    assert (test["result"], test["lab"], test["tested_on"]) == (
        "pass",
        "山西省农产品质量安全检验检测中心",
        "2026-08-28",
    )
    assert [i["name"] for i in test["items"]] == ["毒死蜱", "乐果"]
    html = response.content.decode()
    for text in ("正品", "清徐葡萄", "001-20260901-001", "合格", "此码已被查询 1 次"):
        assert text in html
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_a_code_with_one_character_changed_is_unknown(client, world):
    response = page(client, fx.one_char_changed(world.genuine))
    facts = response.context["facts"]
    assert facts["status"] == "unknown"
    assert facts["product"] is None
    assert facts["scans"] is None
    assert "无法识别" in response.content.decode()
    assert api(client, fx.one_char_changed(world.genuine)).json()["status"] == "unknown"


def test_a_forged_mac_is_unknown_and_keeps_no_serial(client, world):
    response = api(client, fx.forged(1000))
    assert response.json()["status"] == "unknown"
    scan = Scan.objects.get()
    assert scan.mac_failed
    assert scan.serial is None
    assert scan.key_id is None


def test_a_voided_code_shows_voided_with_the_product_only(client, world):
    facts = page(client, world.voided).context["facts"]
    assert facts["status"] == "voided"
    assert facts["product"]["name"] == "清徐葡萄"
    assert facts["producer"] is None
    assert facts["batch"] is None
    assert api(client, world.voided).json()["status"] == "voided"


def test_an_issued_but_unbound_code_is_not_activated(client, world):
    facts = page(client, world.not_activated).context["facts"]
    assert facts["status"] == "not_activated"
    assert facts["producer"]["name"] == "清徐县葡萄专业合作社"
    assert facts["batch"] is None
    assert "尚未激活" in page(client, world.not_activated).content.decode()


def test_a_genuine_code_with_an_open_alert_is_suspicious(client, world, tree):
    CounterfeitAlert.objects.create(
        kind=AlertKind.TOO_MANY_NETWORKS,
        division=tree["c1a"],
        producer=world.producer,
        issuance=world.issuance,
        serial=1000,
        evidence={"networks": 9},
    )
    response = page(client, world.genuine)
    assert response.context["facts"]["status"] == "suspicious"
    assert "疑似仿冒" in response.content.decode()
    assert api(client, world.genuine).json()["status"] == "suspicious"
    # Another code of the same batch is not affected.
    assert api(client, world.code(1001)).json()["status"] == "genuine"


def test_codes_typed_with_dashes_and_lower_case_are_read(client, world):
    grouped = codes.group(world.genuine).lower()
    assert page(client, grouped).context["facts"]["status"] == "genuine"
    response = client.get("/t/", {"code": f" {grouped} "})
    assert response.status_code == 302
    assert response["Location"] == f"/t/{world.genuine}"


def test_the_entry_page_offers_a_form_and_drops_characters_a_url_cannot_carry(client):
    assert "输入追溯码" in client.get("/t/").content.decode()
    response = client.get("/t/", {"code": "12/34?#5"})
    assert response["Location"] == "/t/12345"


def test_a_recalled_batch_shows_the_recall_notice(client, world):
    world.batch.status = "recalled"
    world.batch.recalled_at = fx.at("2026-09-20")
    world.batch.recall_reason = "抽检发现农药残留超标"
    world.batch.save()
    batch_touch(batch=world.batch)
    response = page(client, world.genuine)
    assert response.context["facts"]["recall"] == {
        "recalled_at": "2026-09-20",
        "reason": "抽检发现农药残留超标",
    }
    assert "召回通知" in response.content.decode()


# --- Counts, caching and the cost of a scan ----------------------------------------------------


def test_the_count_says_how_often_and_since_when_the_code_was_checked(client, world, frozen):
    page(client, world.genuine)
    frozen.move_to(fx.at("2026-10-03", 15, 30), tick=False)
    api(client, world.genuine)
    response = page(client, world.genuine)
    assert response.context["facts"]["scans"] == {"count": 3, "first_at": "2026-10-01T09:00+08:00"}
    assert "此码已被查询 3 次，首次查询于 2026-10-01 09:00" in response.content.decode()
    # Another code of the batch has its own count.
    assert api(client, world.code(1001)).json()["scans"]["count"] == 1


def test_api_json_and_page_facts_are_the_same(client, world):
    page_facts = page(client, world.genuine).context["facts"]
    api_facts = api(client, world.genuine).json()
    assert api_facts["scans"]["count"] == page_facts["scans"]["count"] + 1
    page_facts.pop("scans")
    api_facts.pop("scans")
    assert api_facts == page_facts
    for code in (world.voided, world.not_activated, fx.one_char_changed(world.genuine)):
        assert api(client, code).json()["status"] == page(client, code).context["facts"]["status"]


def test_batch_facts_are_cached_until_the_batch_version_changes(client, world, tree):
    assert api(client, world.genuine).json()["batch"]["grade"] == ""
    grade = GradeStandard.objects.create(product=world.product, name="特级", rank=1)
    world.batch.grade = grade
    world.batch.save(update_fields=["grade"])
    assert api(client, world.genuine).json()["batch"]["grade"] == ""  # cached: same version
    batch_touch(batch=world.batch)
    assert api(client, world.genuine).json()["batch"]["grade"] == "特级"


def test_a_busy_code_costs_a_segment_lookup_a_count_and_a_scan_insert(client, world):
    api(client, world.genuine)  # fills the caches: thresholds, batch facts
    with CaptureQueriesContext(connection) as queries:
        response = api(client, world.genuine)
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 3, sql
    assert "trace_codesegment" in sql[0]
    assert "COUNT" in sql[1].upper()
    assert "trace_counterfeitalert" in sql[1]
    assert sql[2].startswith("INSERT INTO")
    assert "trace_scan" in sql[2]


def test_a_busy_code_past_the_network_threshold_still_costs_three_queries(client, world):
    fx.thresholds(max_networks_per_code=2, max_scans_per_code=100)
    for _ in range(4):
        api(client, world.genuine)  # more scans than the network limit, all from one network
    with CaptureQueriesContext(connection) as queries:
        assert api(client, world.genuine).json()["status"] == "genuine"
    assert len(queries.captured_queries) == 3


# --- What a scan keeps --------------------------------------------------------------------------


def test_a_scan_keeps_no_personal_data(client, world):
    agent = (
        "Mozilla/5.0 (Linux; Android 13; V2171A Build/TP1A) AppleWebKit/537.36 "
        "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI"
    )
    page(
        client,
        world.genuine,
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT=agent,
        QUERY_STRING="lat=37.86944&lon=112.54861",
    )
    scan = Scan.objects.get()
    assert scan.agent == "wechat"
    assert re.fullmatch(r"[0-9a-f]{16}", scan.network)
    assert (scan.latitude, scan.longitude) == (Decimal("37.9"), Decimal("112.5"))
    stored = " ".join(str(getattr(scan, f.attname)) for f in Scan._meta.concrete_fields)
    for secret in ("203.0.113", "Android 13", "MicroMessenger", "V2171A", "37.869", "112.548"):
        assert secret not in stored


def test_the_scan_output_holds_no_personal_data_of_the_producer(client, world):
    body = api(client, world.genuine).content.decode()
    html = page(client, world.genuine).content.decode()
    for secret in (fx.PHONE, fx.OPERATOR, "马峪乡东于村", world.producer.credit_code):
        assert secret not in body
        assert secret not in html


def test_a_scan_without_a_shared_location_keeps_none(client, world):
    api(client, world.genuine, QUERY_STRING="lat=999&lon=abc")
    scan = Scan.objects.get()
    assert scan.latitude is None
    assert scan.longitude is None
    assert scan.via_api


# --- Rate limit ---------------------------------------------------------------------------------


def test_over_the_per_minute_limit_the_page_says_wait_and_the_api_answers_429(client, world):
    fx.thresholds(scans_per_minute=5)
    for _ in range(5):
        assert page(client, world.genuine, REMOTE_ADDR="198.51.100.7").status_code == 200
    limited = page(client, world.genuine, REMOTE_ADDR="198.51.100.9")  # same /24
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert "请稍后再试" in limited.content.decode()
    refused = api(client, world.genuine, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) == 60
    # Refused requests are not scans; another network is not affected.
    assert Scan.objects.count() == 5
    assert api(client, world.genuine, REMOTE_ADDR="198.51.101.7").status_code == 200


def test_the_limit_is_a_one_minute_window(client, world, frozen):
    fx.thresholds(scans_per_minute=5)
    frozen.move_to(fx.at("2026-10-01", 9, 0).replace(second=40), tick=False)
    for _ in range(5):
        api(client, world.genuine)
    response = api(client, world.genuine)
    assert response.status_code == 429
    assert response["Retry-After"] == "20"
    frozen.move_to(fx.at("2026-10-01", 9, 1).replace(second=1), tick=False)
    assert api(client, world.genuine).status_code == 200


# --- Weight and shape of the page ---------------------------------------------------------------


def test_the_page_and_everything_it_loads_stay_under_60_kb(client, world):
    response = page(client, world.genuine)
    html = response.content.decode()
    total = len(response.content)
    loaded = re.findall(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', html)
    assert not [url for url in loaded if url.startswith(("http:", "https:", "//"))]
    for url in loaded:
        asset = client.get(url)
        total += len(b"".join(asset.streaming_content)) if asset.streaming else len(asset.content)
    assert total < PAGE_BUDGET, total
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html  # nothing WeChat's browser could choke on


def test_unknown_codes_offer_to_type_the_code_again(client, world):
    html = page(client, "NOT-A-CODE").content.decode()
    assert 'action="/t/"' in html


def test_the_api_needs_no_login_and_sends_no_cookies(client, world):
    response = api(client, world.genuine)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies


def test_text_that_cannot_be_a_code_is_not_routed_to_the_trace_api(client):
    assert client.get("/api/v1/trace/short").status_code == 404
