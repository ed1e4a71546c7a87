from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from dibiao.core.audit import audit_record, model_snapshot, snapshot_diff
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog
from dibiao.core.request_context import reset_client_ip, set_client_ip
from dibiao.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_audit_row_records_actor_ip_and_masked_personal_data():
    user = UserFactory.create(phone="13812345678")
    token = set_client_ip("10.1.2.3")
    try:
        row = audit_record(
            actor=user, action=AuditAction.UPDATE, obj=user, changes={"after": model_snapshot(user)}
        )
    finally:
        reset_client_ip(token)
    assert row.ip == "10.1.2.3"
    assert row.username == user.username
    assert row.changes["after"]["phone"] == "138****5678"
    assert row.changes["after"]["password"] == "******"


def test_snapshot_diff_keeps_only_changed_fields():
    assert snapshot_diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {
        "before": {"b": 2},
        "after": {"b": 3},
    }


def test_model_refuses_update_and_delete():
    row = audit_record(actor=None, action=AuditAction.LOGIN_FAILED, username="x")
    row.detail = "changed"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditLog.objects.filter(pk=row.pk).update(detail="changed")
    with pytest.raises(PermissionError):
        AuditLog.objects.all().delete()
    assert AuditLog.objects.get(pk=row.pk).detail == ""


@pytest.mark.parametrize(
    "sql", ["UPDATE core_auditlog SET detail = 'x'", "DELETE FROM core_auditlog"]
)
def test_database_trigger_refuses_raw_update_and_delete(sql):
    audit_record(actor=None, action=AuditAction.LOGIN_FAILED, username="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditLog.objects.get().detail == ""


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "", set(), "203.0.113.9"),
        (
            "203.0.113.9",
            "1.2.3.4",
            set(),
            "203.0.113.9",
        ),  # an untrusted peer cannot claim an address
        ("10.0.0.2", "198.51.100.7", {"10.0.0.2"}, "198.51.100.7"),
        (
            "10.0.0.2",
            "6.6.6.6, 198.51.100.7",
            {"10.0.0.2"},
            "198.51.100.7",
        ),  # the left part is forgeable
        ("10.0.0.2", "198.51.100.7, 10.0.0.3", {"10.0.0.2", "10.0.0.3"}, "198.51.100.7"),
        ("10.0.0.2", "not-an-ip", {"10.0.0.2"}, "10.0.0.2"),
    ],
)
def test_client_ip_trusts_forwarded_for_only_from_trusted_proxies(
    settings, rf, remote, forwarded, trusted, expected
):
    from dibiao.core.request_context import client_ip_from

    settings.TRUSTED_PROXIES = frozenset(trusted)
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_from(request) == expected


def test_snapshot_of_an_empty_file_field_is_an_empty_name():
    # An empty FieldFile has no url (asking raises ValueError): the snapshot must not ask.
    from dibiao.registry.models import TechnicalRegulation

    snapshot = model_snapshot(TechnicalRegulation(title="规程", version="1"))
    assert snapshot["file"] == ""


@pytest.mark.django_db
def test_numbers_typed_into_free_text_are_masked_in_the_audit_row():
    row = audit_record(
        actor=None,
        action=AuditAction.EXPORT,
        object_type="x",
        detail="导出 q=13812345678 与 11010519491231002X，订单号 20261128000000000123",
    )
    assert row.detail == ("导出 q=138****5678 与 110105********002X，订单号 20261128000000000123")


@pytest.mark.django_db
def test_numbers_typed_into_free_text_fields_are_masked_in_the_changes():
    row = audit_record(
        actor=None,
        action=AuditAction.CREATE,
        object_type="x",
        changes={
            "after": {"destination_name": "张三 13912345678", "lines": ["11010519491231002X"]}
        },
    )
    assert row.changes == {
        "after": {"destination_name": "张三 139****5678", "lines": ["110105********002X"]}
    }
