"""The ledger line ("已记入区块链账本（第 N 号）") on the scan page, its API and the public 合格证
page: the batch's and the certificate's latest leaf, "正在记入账本" while that leaf is queued,
never a stale line from the cache."""

# ruff: noqa: F811

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dibiao.ledger import services as ledger
from dibiao.ledger.models import LedgerLeaf
from dibiao.trace.models import Batch, ComplianceCertificate
from dibiao.trace.services import batches
from dibiao.trace.services import codes as code_services
from dibiao.trace.services.certificates import certificate_void
from dibiao.trace.tests.certificates_fixtures import issue, recall
from dibiao.trace.tests.codes_fixtures import (  # noqa: F401 (fixtures)
    World,
    clock,
    code_of,
    label_settings,
    product,
    world,
)

pytestmark = pytest.mark.django_db

PENDING = "已提交，正在记入账本"


def _index(record_type: str, record_id: int) -> int:
    leaf = ledger.latest_leaf(record_type, record_id)
    assert leaf is not None
    assert leaf.leaf_index is not None
    return leaf.leaf_index


def _bound_code(world: World) -> str:
    issuance = world.issue(100)
    code_services.codes_bind(
        actor=world.user,
        issuance=issuance,
        first_serial=issuance.first_serial,
        last_serial=issuance.first_serial + 9,
        batch=world.batch,
    )
    return code_of(issuance, issuance.first_serial)


def test_the_scan_page_shows_pending_then_the_index_of_the_release(world, client):
    batches.batch_release(actor=world.user, batch=world.batch)
    code = _bound_code(world)

    html = client.get(f"/t/{code}").content.decode()
    assert PENDING in html
    assert "已记入区块链账本" not in html
    assert client.get(f"/api/v1/trace/{code}").json()["ledger"] == {
        "index": None,
        "pending": True,
        "url": "",
    }

    ledger.integrate()
    index = _index("trace.batch", world.batch.pk)
    html = client.get(f"/t/{code}").content.decode()
    assert f'<a href="/ledger/entries/{index}/">已记入区块链账本（第 {index} 号）</a>' in html
    assert PENDING not in html
    assert client.get(f"/api/v1/trace/{code}").json()["ledger"] == {
        "index": index,
        "pending": False,
        "url": f"/ledger/entries/{index}/",
    }
    assert client.get(f"/ledger/entries/{index}/").status_code == 200


def test_once_the_index_is_known_a_scan_reads_no_ledger_table(world, client):
    batches.batch_release(actor=world.user, batch=world.batch)
    code = _bound_code(world)
    client.get(f"/api/v1/trace/{code}")  # cached while pending
    ledger.integrate()
    client.get(f"/api/v1/trace/{code}")  # reads the index once and caches it
    with CaptureQueriesContext(connection) as queries:
        facts = client.get(f"/api/v1/trace/{code}").json()
    assert facts["ledger"]["index"] == _index("trace.batch", world.batch.pk)
    assert not [q for q in queries.captured_queries if "ledger_" in q["sql"]]


def test_a_recall_moves_the_line_to_the_recall_leaf(world, client):
    batches.batch_release(actor=world.user, batch=world.batch)
    code = _bound_code(world)
    ledger.integrate()
    released = _index("trace.batch", world.batch.pk)
    assert f"第 {released} 号" in client.get(f"/t/{code}").content.decode()

    recall(Batch.objects.get(pk=world.batch.pk))
    html = client.get(f"/t/{code}").content.decode()
    assert "召回通知" in html
    assert PENDING in html  # the recall's leaf, not the release's
    ledger.integrate()
    recalled = _index("trace.batch", world.batch.pk)
    assert recalled > released
    assert f"已记入区块链账本（第 {recalled} 号）" in client.get(f"/t/{code}").content.decode()


def test_an_open_batch_has_no_ledger_line(world, client):
    code = _bound_code(world)
    facts = client.get(f"/api/v1/trace/{code}").json()
    assert facts["status"] == "genuine"
    assert facts["ledger"] is None
    assert "账本" not in client.get(f"/t/{code}").content.decode()


def test_the_certificate_page_shows_pending_then_the_index_and_follows_a_void(world):
    certificate = issue(batches.batch_release(actor=world.user, batch=world.batch))
    url = f"/c/{certificate.number}/"
    client = Client()

    response = client.get(url)
    assert PENDING in response.content.decode()
    assert response["Cache-Control"] == "no-cache"  # not kept by a proxy while pending

    ledger.integrate()
    index = _index("trace.certificate", certificate.pk)
    response = client.get(url)
    html = response.content.decode()
    assert f'<a href="/ledger/entries/{index}/">已记入区块链账本（第 {index} 号）</a>' in html
    assert response["Cache-Control"] == "public, max-age=300"

    certificate_void(
        actor=world.user,
        certificate=ComplianceCertificate.objects.get(pk=certificate.pk),
        reason="数量填错",
    )
    assert PENDING in client.get(url).content.decode()
    ledger.integrate()
    voided = _index("trace.certificate", certificate.pk)
    assert voided > index
    assert f"第 {voided} 号" in client.get(url).content.decode()


def test_a_certificate_without_a_leaf_shows_no_line(world):
    certificate = issue(batches.batch_release(actor=world.user, batch=world.batch))
    LedgerLeaf.objects.filter(record_type="trace.certificate").delete()
    html = Client().get(f"/c/{certificate.number}/").content.decode()
    assert "账本" not in html
