"""The ledger app against the database: leaves with their records, sequencing, checkpoints, the
witness, the public API, and the audit naming a tampered record."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from dibiao.ledger import audit, keys, merkle, services, tree, witness
from dibiao.ledger.models import LedgerAlert, LedgerCheckpoint, LedgerLeaf, LedgerNode, LedgerState
from dibiao.ledger.note import verify_note
from dibiao.ledger.services import LedgerError
from dibiao.projects import services as projects
from dibiao.projects.choices import ImplementationArea
from dibiao.projects.models import FundEntry

pytestmark = pytest.mark.django_db


def _pay(actor, allocation, amount="1000.00", voucher="记-001"):
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


def _leaf_of(entry: FundEntry) -> LedgerLeaf:
    leaf = services.latest_leaf("projects.fund_entry", entry.pk)
    assert leaf is not None
    return leaf


def _published(force: bool = False) -> LedgerCheckpoint:
    checkpoint = services.publish_checkpoint(force=force)
    assert checkpoint is not None
    return checkpoint


def rfc9162_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, recursive, sharing no code with dibiao.ledger."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc9162_root(leaves[:k]) + rfc9162_root(leaves[k:])).digest()


def test_a_leaf_is_queued_with_its_record_and_sequenced_in_order(allocation, county_admin):
    first = _pay(county_admin, allocation, voucher="记-001")
    second = _pay(county_admin, allocation, voucher="记-002")
    queued = list(LedgerLeaf.objects.order_by("id"))
    assert [(leaf.record_type, leaf.leaf_index) for leaf in queued][-2:] == [
        ("projects.fund_entry", None),
        ("projects.fund_entry", None),
    ]
    size = services.integrate()
    assert size == LedgerLeaf.objects.count() == LedgerState.objects.get().size
    one, two = (_leaf_of(e) for e in (first, second))
    assert one.leaf_index is not None
    assert two.leaf_index is not None
    assert one.leaf_index < two.leaf_index
    document = json.loads(bytes(two.data))
    assert document["type"] == "projects.fund_entry"
    assert document["v"] == 1
    assert document["id"] == second.pk
    assert document["record"]["amount"] == "1000.00"  # a decimal as a string
    # No whitespace, sorted keys, UTF-8: the canonical form.
    assert b" " not in bytes(two.data).replace("专业合作社".encode(), b"")
    assert "清徐县葡萄专业合作社".encode() in bytes(two.data)
    # The stored tree is the RFC 9162 tree of the leaves, node for node.
    leaves = [
        bytes(d) for d in LedgerLeaf.objects.order_by("leaf_index").values_list("data", flat=True)
    ]
    assert services.root(size) == rfc9162_root(leaves)
    memory = tree.MemoryStore()
    tree.append(memory, size=0, leaf_hashes=[merkle.leaf_hash(d) for d in leaves])
    from dibiao.ledger.store import node_key

    stored = {key: bytes(value) for key, value in LedgerNode.objects.values_list("key", "hash")}
    assert stored == {node_key(lv, i): v for (lv, i), v in memory.nodes.items() if lv}


def test_no_leaf_without_its_record_nor_a_record_without_its_leaf(allocation, county_admin):
    before = LedgerLeaf.objects.count()

    def failing_request() -> None:
        with transaction.atomic():
            _pay(county_admin, allocation)
            raise RuntimeError("the request fails after the payment was saved")

    with pytest.raises(RuntimeError):
        failing_request()
    assert LedgerLeaf.objects.count() == before
    assert not FundEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_leaf_cannot_be_queued_outside_a_transaction():
    # In autocommit the leaf could outlive a record whose transaction then fails.
    with pytest.raises(RuntimeError, match="same transaction"):
        services.append_many(FundEntry, [1])


def test_every_state_change_of_an_entry_is_a_new_leaf(allocation, county_admin, reviewer):
    entry = _pay(county_admin, allocation)
    projects.entry_review(actor=reviewer, entry=entry, approve=True)
    reversal = projects.entry_reverse(actor=county_admin, entry=entry, reason="重复支付")
    services.integrate()
    statuses = [
        json.loads(bytes(leaf.data))["record"]["status"]
        for leaf in LedgerLeaf.objects.filter(
            record_type="projects.fund_entry", record_id=entry.pk
        ).order_by("leaf_index")
    ]
    assert statuses == ["pending", "approved"]
    assert services.latest_leaf("projects.fund_entry", reversal.pk) is not None


def test_checkpoints_are_signed_consistent_and_witnessed(allocation, county_admin):
    first = services.publish_checkpoint()
    assert first is not None
    assert first.size == LedgerLeaf.objects.count()
    assert services.publish_checkpoint() is None  # nothing new: nothing published
    _pay(county_admin, allocation)
    second = services.publish_checkpoint()
    assert second is not None
    assert second.size == first.size + 1
    origin = LedgerState.objects.get().origin
    parsed = verify_note(second.note, verifier_key=keys.verifier_key(origin))
    assert parsed.size == second.size
    assert parsed.root == bytes(second.root_hash)
    assert parsed.extensions[0].startswith("Timestamp: ")
    proof = services.consistency_proof(first.size, second.size)
    merkle.verify_consistency(
        first=first.size,
        second=second.size,
        first_root=bytes(first.root_hash),
        second_root=bytes(second.root_hash),
        proof=proof,
    )
    assert [item.size for item in witness.read()] == [first.size, second.size]
    forced = services.publish_checkpoint(force=True)
    assert forced is not None
    assert forced.size == second.size


def test_a_rewritten_tree_is_not_checkpointed_and_alerts(allocation, county_admin, secadmin):
    secadmin.email = "sec@example.cn"
    secadmin.save()
    services.publish_checkpoint()
    # Someone rewrites history: a stored leaf hash changes (as a rebuilt database would).
    leaf = LedgerLeaf.objects.get(leaf_index=0)
    LedgerLeaf.objects.filter(pk=leaf.pk).update(leaf_hash=hashlib.sha256(b"forged").digest())
    _pay(county_admin, allocation)
    with pytest.raises(LedgerError, match="不一致"):
        services.publish_checkpoint()
    alert = LedgerAlert.objects.get()
    assert alert.source == "checkpoint"
    assert "检查点未发布" in alert.summary
    from django.core import mail

    assert mail.outbox
    assert mail.outbox[0].to == ["sec@example.cn"]


def test_the_witness_catches_a_database_rolled_back_to_an_earlier_log(allocation, county_admin):
    services.publish_checkpoint()
    _pay(county_admin, allocation)
    services.publish_checkpoint()
    # The database is restored to (or rewritten as) its state before the payment: the last
    # checkpoint row and the leaf are gone, the witness file is not.
    latest = LedgerLeaf.objects.order_by("-leaf_index")[0]
    assert latest.leaf_index is not None
    LedgerCheckpoint.objects.order_by("-id")[0].delete()
    FundEntry.objects.filter(pk=latest.record_id).update(amount=Decimal("1.00"))
    LedgerLeaf.objects.filter(pk=latest.pk).delete()
    LedgerState.objects.update(size=latest.leaf_index)
    with pytest.raises(LedgerError, match="见证文件"):
        services.publish_checkpoint(force=True)
    report = audit.run()
    assert any(f.kind == "witness" and "数据库被回退" in f.message for f in report.findings)


def _verify(capsys_or_out: StringIO) -> str:
    return capsys_or_out.getvalue()


def test_ledger_verify_passes_then_names_a_changed_amount(allocation, county_admin, secadmin):
    entry = _pay(county_admin, allocation, amount="1200.00")
    services.publish_checkpoint()
    out = StringIO()
    call_command("ledger_verify", "--quiet", stdout=out)
    assert "账本与数据库一致" in out.getvalue()

    FundEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1300.00"))
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger_verify", "--quiet", stdout=out)
    assert exit_info.value.code == 1
    text = out.getvalue()
    assert f"资金台账分录 #{entry.pk}" in text
    assert "amount: 账本 1200.00，数据库 1300.00" in text
    alert = LedgerAlert.objects.get(source="ledger_verify")
    assert alert.findings[0]["record_id"] == entry.pk


def test_ledger_verify_names_a_record_that_never_reached_the_ledger(allocation, county_admin):
    entry = _pay(county_admin, allocation)
    LedgerLeaf.objects.filter(record_type="projects.fund_entry", record_id=entry.pk).delete()
    services.integrate()
    report = audit.run()
    assert [(f.kind, f.record_id) for f in report.findings] == [("missing_leaf", entry.pk)]


def test_ledger_verify_detects_a_forged_node_and_a_forged_checkpoint(allocation, county_admin):
    _pay(county_admin, allocation)
    _pay(county_admin, allocation, voucher="记-002")
    services.publish_checkpoint()
    node = LedgerNode.objects.order_by("key")[0]
    LedgerNode.objects.filter(pk=node.pk).update(hash=bytes(32))
    LedgerCheckpoint.objects.update(root_hash=bytes(32))
    kinds = {f.kind for f in audit.run().findings}
    assert {"tree", "checkpoint"} <= kinds


# --- The public API -----------------------------------------------------------------------


def _get(client: Client, url: str, **params: Any) -> tuple[int, dict]:
    response = client.get(url, params)
    return response.status_code, response.json()


def test_an_outsider_recomputes_the_root_and_checks_proofs_from_the_api(
    allocation, county_admin, reviewer
):
    entries = [_pay(county_admin, allocation, voucher=f"记-{n:03}") for n in range(6)]
    early = _published()
    for entry in entries[:3]:
        projects.entry_review(actor=reviewer, entry=entry, approve=True)
    services.publish_checkpoint()
    client = Client()  # no login

    status, head = _get(client, "/api/v1/ledger/checkpoint")
    assert status == 200
    status, key = _get(client, "/api/v1/ledger/key")
    checkpoint = verify_note(head["checkpoint"], verifier_key=key["verifier_key"])
    assert checkpoint.size == head["size"]
    assert base64.b64encode(checkpoint.root).decode() == head["root_hash"]

    leaves: list[bytes] = []
    while len(leaves) < head["size"]:
        _, page = _get(client, "/api/v1/ledger/entries", start=len(leaves), end=len(leaves) + 4)
        leaves += [base64.b64decode(item["leaf"]) for item in page["entries"]]
    assert rfc9162_root(leaves) == checkpoint.root

    for index in (0, head["size"] // 2, head["size"] - 1):
        status, proof = _get(client, "/api/v1/ledger/proof/inclusion", index=index)
        assert status == 200
        assert proof["size"] == head["size"]
        merkle.verify_inclusion(
            index=index,
            size=head["size"],
            leaf_hash=hashlib.sha256(b"\x00" + leaves[index]).digest(),
            proof=[base64.b64decode(p) for p in proof["proof"]],
            root=checkpoint.root,
        )
    status, earlier = _get(client, "/api/v1/ledger/checkpoint", size=early.size)
    assert status == 200
    assert earlier["size"] == early.size
    status, proof = _get(client, "/api/v1/ledger/proof/consistency", first=early.size)
    merkle.verify_consistency(
        first=early.size,
        second=head["size"],
        first_root=base64.b64decode(earlier["root_hash"]),
        second_root=checkpoint.root,
        proof=[base64.b64decode(p) for p in proof["proof"]],
    )
    status, entry = _get(client, "/api/v1/ledger/entries/0")
    assert status == 200
    assert entry["document"]["type"] == entry["record_type"]


@pytest.mark.parametrize(
    ("url", "params", "code"),
    [
        ("/api/v1/ledger/entries/999999", {}, "not_found"),
        ("/api/v1/ledger/entries/99999999999999999999999", {}, "not_found"),
        ("/api/v1/ledger/entries", {}, "invalid"),
        ("/api/v1/ledger/entries", {"start": "x"}, "invalid"),
        ("/api/v1/ledger/entries", {"start": 5, "end": 2}, "invalid"),
        ("/api/v1/ledger/checkpoint", {"size": 12345}, "not_found"),
        ("/api/v1/ledger/proof/inclusion", {}, "invalid"),
        ("/api/v1/ledger/proof/inclusion", {"index": 0, "size": 10**15}, "bad_size"),
        ("/api/v1/ledger/proof/inclusion", {"index": 10**15, "size": 1}, "bad_index"),
        ("/api/v1/ledger/proof/consistency", {"first": 0, "second": 1}, "bad_size"),
        ("/api/v1/ledger/proof/consistency", {"first": 2, "second": 10**15}, "bad_size"),
    ],
)
def test_bad_requests_get_coded_errors(allocation, county_admin, url, params, code):
    _pay(county_admin, allocation)
    services.publish_checkpoint()
    response = Client().get(url, params)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code


def test_sm3_log_uses_sm3_throughout(settings, allocation, county_admin):
    LedgerLeaf.objects.all().delete()
    LedgerNode.objects.all().delete()
    LedgerState.objects.all().delete()
    settings.DIBIAO_LEDGER_ALGORITHM = "sm3"
    with transaction.atomic():
        services.append(allocation)  # the log starts afresh, with SM3
    _pay(county_admin, allocation)
    _pay(county_admin, allocation, voucher="记-002")
    _pay(county_admin, allocation, voucher="记-003")
    checkpoint = _published()
    assert LedgerState.objects.get().algorithm == "sm3"
    leaves = [
        bytes(d) for d in LedgerLeaf.objects.order_by("leaf_index").values_list("data", flat=True)
    ]
    assert bytes(checkpoint.root_hash) == merkle.root_from_leaf_hashes(
        [merkle.leaf_hash(d, algorithm="sm3") for d in leaves], algorithm="sm3"
    )
    assert bytes(checkpoint.root_hash) != rfc9162_root(leaves)
    assert audit.run().ok
    settings.DIBIAO_LEDGER_ALGORITHM = "sha256"  # a changed setting does not change the log
    _pay(county_admin, allocation, voucher="记-004")
    services.integrate()
    assert audit.run().ok
    assert LedgerState.objects.get().algorithm == "sm3"


def test_the_checkpoint_command_publishes(allocation, county_admin):
    out = StringIO()
    call_command("ledger_checkpoint", stdout=out)
    assert "已发布检查点" in out.getvalue()
    out = StringIO()
    call_command("ledger_checkpoint", stdout=out)
    assert "未发布新检查点" in out.getvalue()
    assert Path(witness.path()).exists()


def test_backfill_logs_records_from_before_the_ledger(allocation, county_admin):
    entry = _pay(county_admin, allocation)
    LedgerLeaf.objects.filter(record_type="projects.fund_entry").delete()  # still queued
    assert [(f.kind, f.record_id) for f in audit.run().findings] == [("missing_leaf", entry.pk)]
    out = StringIO()
    call_command("ledger_backfill", "--dry-run", stdout=out)
    assert "资金台账分录（projects.fund_entry）：1 条待补记" in out.getvalue()
    assert not LedgerLeaf.objects.filter(record_type="projects.fund_entry").exists()
    call_command("ledger_backfill", stdout=StringIO())
    assert _leaf_of(entry).leaf_index is not None
    assert audit.run().ok


def test_leaves_still_queued_count_as_logged_and_as_the_latest_state(
    allocation, county_admin, reviewer
):
    entry = _pay(county_admin, allocation)
    services.integrate()
    # Approved after the audit's snapshot of the log: the new leaf is still queued.
    projects.entry_review(actor=reviewer, entry=entry, approve=True)
    _pay(county_admin, allocation, voucher="记-002")  # recorded, its leaf queued
    assert audit.run().ok
