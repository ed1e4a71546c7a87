"""The ledger's pages: the public home and entry pages (with the proof the browser checks and the
files the offline verifier reads), and the security console (state, alerts, publishing,
audit runs by the task worker and by `ledger_verify`)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from dibiao.core.models import AuditLog
from dibiao.ledger import keys, merkle, services, witness
from dibiao.ledger.models import (
    AuditRunSource,
    LedgerAlert,
    LedgerAuditRun,
    LedgerCheckpoint,
    LedgerLeaf,
    LedgerNode,
    LedgerState,
)
from dibiao.ledger.note import verify_note
from dibiao.ledger.types import Finding
from dibiao.portal.navigation import _items
from dibiao.projects import services as projects
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.models import FundEntry

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _pay(actor, allocation, voucher="记-001", amount="1000.00") -> FundEntry:
    return projects.entry_record(
        actor=actor,
        allocation=allocation,
        contract=None,
        voucher_number=voucher,
        paid_on=dt.date(2022, 5, 1),
        payee="清徐县葡萄专业合作社",
        amount=amount,
        area=ImplementationArea.PRODUCTION,
    )


def _index_of(entry: FundEntry) -> int:
    leaf = services.latest_leaf("projects.fund_entry", entry.pk)
    assert leaf is not None
    assert leaf.leaf_index is not None
    return leaf.leaf_index


def _proof_data(html: str) -> dict:
    found = re.search(r'<script id="ledger-proof" type="application/json">(.*?)</script>', html)
    assert found, "the page carries no proof for the browser"
    return json.loads(found.group(1))


def _secadmin_client(secadmin) -> Client:
    client = Client()
    client.force_login(secadmin)
    return client


# --- Public pages ------------------------------------------------------------------------------


def test_the_home_page_before_any_checkpoint_says_so(client):
    response = client.get("/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "尚未发布检查点" in html
    assert keys.verifier_key(services.state().origin) in html
    assert "SHA-256" in html


def test_the_home_page_shows_the_latest_signed_checkpoint_key_api_and_commands(
    client, allocation, county_admin
):
    _pay(county_admin, allocation)
    checkpoint = services.publish_checkpoint()
    assert checkpoint is not None
    html = client.get("/ledger/").content.decode()
    assert f"{checkpoint.size} 个叶" in html
    assert base64.b64encode(bytes(checkpoint.root_hash)).decode() in html
    assert checkpoint.note.split("\n")[0] in html  # the note text, origin line first
    assert "— " in html  # and its signature line
    assert keys.verifier_key(services.state().origin) in html
    for link in (
        "/api/v1/ledger/checkpoint",
        "/api/v1/ledger/key",
        "python -m dibiao.ledger.verify",
    ):
        assert link in html
    assert "资金台账分录" in html  # what the ledger logs


def test_an_entry_page_shows_the_record_and_a_proof_that_verifies(client, allocation, county_admin):
    first = _pay(county_admin, allocation, voucher="记-001")
    _pay(county_admin, allocation, voucher="记-002")
    checkpoint = services.publish_checkpoint()
    assert checkpoint is not None
    index = _index_of(first)
    response = client.get(f"/ledger/entries/{index}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"账本第 {index} 号叶" in html
    assert "资金台账分录" in html
    assert "记-001" in html  # the document, pretty-printed
    assert "在浏览器中核验" in html
    assert "/static/ledger/verify.js" in html
    data = _proof_data(html)
    assert data["index"] == index
    assert data["size"] == checkpoint.size
    assert data["checkpoint"] == checkpoint.note
    # What the browser is given verifies with the project's own verifier.
    leaf = base64.b64decode(data["leaf"])
    assert leaf == bytes(LedgerLeaf.objects.get(leaf_index=index).data)
    parsed = verify_note(data["checkpoint"], verifier_key=data["verifier_key"])
    merkle.verify_inclusion(
        index=index,
        size=data["size"],
        leaf_hash=merkle.leaf_hash(leaf),
        proof=[base64.b64decode(p) for p in data["proof"]],
        root=parsed.root,
    )
    assert base64.b64decode(data["leaf_hash"]) == merkle.leaf_hash(leaf)
    # The offline command names the same proof.
    assert ",".join(data["proof"]) in html
    assert f"--index {index}" in html


def test_the_files_the_offline_verifier_reads_round_trip(client, allocation, county_admin):
    entry = _pay(county_admin, allocation)
    services.publish_checkpoint()
    _pay(county_admin, allocation, voucher="记-002")
    later = services.publish_checkpoint()
    assert later is not None
    index = _index_of(entry)
    leaf = client.get(f"/ledger/entries/{index}/leaf.bin")
    assert leaf["Content-Type"] == "application/octet-stream"
    key = client.get("/ledger/key.txt").content.decode().strip()
    earlier = LedgerCheckpoint.objects.order_by("id").first()
    assert earlier is not None
    note = client.get(f"/ledger/checkpoint.txt?size={earlier.size}").content.decode()
    assert note == earlier.note
    assert client.get("/ledger/checkpoint.txt").content.decode() == later.note
    parsed = verify_note(note, verifier_key=key)
    merkle.verify_inclusion(
        index=index,
        size=parsed.size,
        leaf_hash=merkle.leaf_hash(leaf.content),
        proof=services.inclusion_proof(index, parsed.size),
        root=parsed.root,
    )
    assert client.get("/ledger/checkpoint.txt?size=999").status_code == 404
    assert client.get("/ledger/checkpoint.txt?size=x").status_code == 400
    assert client.get(f"/ledger/checkpoint.txt?size={10**19 - 1}").status_code == 400


def test_an_entry_before_any_checkpoint_has_no_proof_yet(client, allocation, county_admin):
    entry = _pay(county_admin, allocation)
    services.integrate()
    html = client.get(f"/ledger/entries/{_index_of(entry)}/").content.decode()
    assert "尚未发布检查点" in html
    assert "ledger-proof" not in html
    assert "verify.js" not in html


def test_an_entry_newer_than_the_latest_checkpoint_waits_for_the_next(
    client, allocation, county_admin
):
    services.publish_checkpoint()
    entry = _pay(county_admin, allocation, voucher="记-009")
    services.integrate()
    response = client.get(f"/ledger/entries/{_index_of(entry)}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "还没有它" in html
    assert "记-009" in html
    assert "ledger-proof" not in html


def test_an_unknown_index_is_a_404_page_that_says_so(client, allocation, county_admin):
    _pay(county_admin, allocation)
    services.integrate()
    response = client.get("/ledger/entries/999/")
    assert response.status_code == 404
    assert "账本中没有第 999 号叶" in response.content.decode()
    assert client.get(f"/ledger/entries/{2**70}/").status_code == 404  # past a bigint
    assert client.get("/ledger/entries/999/leaf.bin").status_code == 404


def test_a_queued_leaf_is_not_an_entry_yet(client, allocation, county_admin):
    _pay(county_admin, allocation)
    size = services.state().size
    assert LedgerLeaf.objects.filter(leaf_index=None).exists()
    assert client.get(f"/ledger/entries/{size}/").status_code == 404


def test_the_lookup_form_opens_the_entry_and_refuses_what_is_not_an_index(client):
    response = client.get("/ledger/entries/?index= 0 ")
    assert response.status_code == 302
    assert response["Location"] == "/ledger/entries/0/"
    bad = client.get("/ledger/entries/?index=-1")
    assert bad.status_code == 400
    assert "请输入账本叶的序号" in bad.content.decode()


def test_an_sm3_log_offers_the_command_instead_of_the_browser(
    client, settings, allocation, county_admin
):
    # The log starts afresh with SM3 (the fixtures' records were logged with SHA-256).
    LedgerLeaf.objects.all().delete()
    LedgerNode.objects.all().delete()
    LedgerState.objects.all().delete()
    settings.DIBIAO_LEDGER_ALGORITHM = "sm3"
    entry = _pay(county_admin, allocation)
    services.publish_checkpoint()
    html = client.get(f"/ledger/entries/{_index_of(entry)}/").content.decode()
    assert "无法在浏览器中核验" in html
    assert "--algorithm sm3" in html
    assert "verify.js" not in html
    assert 'id="verify-button"' not in html


def test_the_browser_verifier_is_served_as_a_static_file(client):
    response = client.get("/static/ledger/verify.js")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    assert "crypto.subtle.digest" in text
    assert "Ed25519" in text


# --- The security console ------------------------------------------------------------------------


def test_the_console_is_for_the_security_administrator_only(client, county_admin, auditor):
    assert client.get("/ledger/admin/").status_code == 302  # to the login page
    for user in (county_admin, auditor):
        client.force_login(user)
        assert client.get("/ledger/admin/").status_code == 403
        assert client.post("/ledger/admin/publish/").status_code == 403
        assert client.post("/ledger/admin/verify/").status_code == 403
    assert not LedgerCheckpoint.objects.exists()
    assert not LedgerAuditRun.objects.exists()


def test_the_console_shows_the_state_and_the_witness(secadmin, allocation, county_admin):
    _pay(county_admin, allocation)
    services.publish_checkpoint()
    _pay(county_admin, allocation, voucher="记-002")  # queued, not yet sequenced
    html = _secadmin_client(secadmin).get("/ledger/admin/").content.decode()
    assert "排队待记入的叶" in html
    assert str(witness.path()) in html
    assert "没有告警" in html
    assert "还没有核验记录" in html


def test_the_menu_links_the_console_for_the_secadmin_and_the_public_page_for_all(
    secadmin, county_admin
):
    from django.contrib.auth.models import AnonymousUser

    assert ("账本安全", "/ledger/admin/") in _items(secadmin)
    assert "账本安全" not in [label for label, _ in _items(county_admin)]
    assert ("账本核验", "/ledger/") in _items(AnonymousUser())


def test_publishing_from_the_console_signs_a_checkpoint_and_is_audited(
    secadmin, allocation, county_admin
):
    _pay(county_admin, allocation)
    client = _secadmin_client(secadmin)
    assert client.get("/ledger/admin/publish/").status_code == 405
    response = client.post("/ledger/admin/publish/", follow=True)
    checkpoint = LedgerCheckpoint.objects.get()
    assert f"已发布检查点：树大小 {checkpoint.size}" in response.content.decode()
    log = AuditLog.objects.get(object_type="ledger.ledgercheckpoint")
    assert log.user == secadmin
    # Forced: a second press publishes again though the tree has not grown.
    client.post("/ledger/admin/publish/")
    assert LedgerCheckpoint.objects.count() == 2


def test_a_checkpoint_that_cannot_be_published_shows_why(secadmin, allocation, county_admin):
    _pay(county_admin, allocation)
    services.integrate()
    # The witness holds a bigger log than the database: a rolled-back database.
    witness.append(size=1000, root=bytes(32), timestamp="2026-01-01T00:00:00+00:00", note="x")
    response = _secadmin_client(secadmin).post("/ledger/admin/publish/", follow=True)
    html = response.content.decode()
    assert "检查点未发布" in html
    assert "1000" in html
    assert not LedgerCheckpoint.objects.exists()
    assert LedgerAlert.objects.get().source == "checkpoint"


def test_acknowledging_an_alert_records_who_and_is_audited(secadmin, county_admin):
    alert = services.alert("ledger_verify", "账本核验发现 1 处不一致", [Finding("tree", "缺少叶")])
    client = _secadmin_client(secadmin)
    html = client.get("/ledger/admin/").content.decode()
    assert "账本核验发现 1 处不一致" in html
    assert "缺少叶" in html

    other = Client()
    other.force_login(county_admin)
    assert other.post(f"/ledger/admin/alerts/{alert.pk}/acknowledge/").status_code == 403

    response = client.post(f"/ledger/admin/alerts/{alert.pk}/acknowledge/", follow=True)
    assert "告警已确认" in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == secadmin
    assert alert.acknowledged_at is not None
    log = AuditLog.objects.get(object_type="ledger.ledgeralert", object_id=str(alert.pk))
    assert log.user == secadmin
    assert "确认账本告警" in log.detail

    again = client.post(f"/ledger/admin/alerts/{alert.pk}/acknowledge/", follow=True)
    assert "该告警已由" in again.content.decode()
    assert AuditLog.objects.filter(object_type="ledger.ledgeralert").count() == 1
    for pk in (999999, 2**70):
        missing = client.post(f"/ledger/admin/alerts/{pk}/acknowledge/", follow=True)
        assert "未找到该告警" in missing.content.decode()


def test_verifying_from_the_console_records_a_run_then_alerts_on_tampering(
    settings, secadmin, allocation, county_admin
):
    settings.TASKS = IMMEDIATE
    entry = _pay(county_admin, allocation, amount="1200.00")
    services.publish_checkpoint()
    client = _secadmin_client(secadmin)

    response = client.post("/ledger/admin/verify/", follow=True)
    run = LedgerAuditRun.objects.get()
    assert (run.source, run.requested_by, run.ok) == (AuditRunSource.CONSOLE, secadmin, True)
    assert run.finished_at is not None
    assert run.leaves_checked == run.size == services.state().size
    assert "账本核验已完成：一致" in response.content.decode()
    assert not LedgerAlert.objects.exists()
    assert AuditLog.objects.filter(object_type="ledger.ledgerauditrun", user=secadmin).exists()

    FundEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1300.00"))
    client.post("/ledger/admin/verify/")
    tampered = LedgerAuditRun.objects.order_by("-id")[0]
    assert tampered.ok is False
    assert tampered.findings_count == 1
    assert tampered.findings[0]["record_id"] == entry.pk
    assert "amount: 账本 1200.00，数据库 1300.00" in tampered.findings[0]["message"]
    alert = LedgerAlert.objects.get()
    assert alert.source == "ledger_verify"
    html = client.get("/ledger/admin/").content.decode()
    assert "发现 1 处不一致" in html
    assert f"资金台账分录 #{entry.pk}" in html


def test_a_queued_run_is_not_queued_twice_and_the_worker_runs_it(
    settings, monkeypatch, secadmin, allocation, county_admin
):
    settings.TASKS = DATABASE_QUEUE
    # The worker closes a connection it finds inside a transaction: here the test's own.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    _pay(county_admin, allocation)
    services.publish_checkpoint()
    client = _secadmin_client(secadmin)
    response = client.post("/ledger/admin/verify/", follow=True)
    assert "已提交账本核验" in response.content.decode()
    assert "排队中" in response.content.decode()
    client.post("/ledger/admin/verify/")
    run = LedgerAuditRun.objects.get()
    assert run.started_at is None

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    run.refresh_from_db()
    assert run.ok is True
    assert run.finished_at is not None


def test_ledger_verify_records_its_run(allocation, county_admin):
    entry = _pay(county_admin, allocation)
    services.publish_checkpoint()
    call_command("ledger_verify", "--quiet", stdout=StringIO())
    FundEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(SystemExit):
        call_command("ledger_verify", "--quiet", "--no-alert", stdout=StringIO())
    good, bad = LedgerAuditRun.objects.order_by("id")
    assert (good.source, good.ok, good.findings_count) == (AuditRunSource.COMMAND, True, 0)
    assert (bad.ok, bad.findings_count) == (False, 1)
    assert not LedgerAlert.objects.exists()  # --no-alert


def test_on_the_console_only_its_menu_is_marked(secadmin):
    from dibiao.portal.navigation import nav_entries

    entries = nav_entries(_items(secadmin), "/ledger/admin/", "/")
    active = [entry["label"] for entry in entries if entry["active"]]
    assert active == ["系统管理"]
