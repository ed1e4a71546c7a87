"""load_demo as a command: re-running, production refusal, the demo password. What the demo
contains is checked in test_demo_data.py over a single load."""

from __future__ import annotations

import io
import stat

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from dibiao.accounts.models import Membership, Organization, User
from dibiao.core.models import AuditLog, Division
from dibiao.registry.models import GIProduct

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Shanxi-Demo-2021!"


def load_demo() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def password_file(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("DIBIAO_DEMO_PASSWORD", raising=False)
    settings.DEMO_PASSWORD_FILE = tmp_path / "demo_password"
    return settings.DEMO_PASSWORD_FILE


@pytest.fixture
def demo(settings, tmp_path, monkeypatch) -> str:
    """The demo loaded with a password from the environment; returns the command's output."""
    monkeypatch.setenv("DIBIAO_DEMO_PASSWORD", DEMO_PASSWORD)
    settings.DEMO_PASSWORD_FILE = tmp_path / "demo_password"
    return load_demo()


def token_for(username: str, password: str):
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})


# --- re-running, production, passwords ---------------------------------------------------------


def test_second_run_creates_nothing_and_keeps_a_users_edits(demo):
    grapes = GIProduct.objects.get(name="清徐葡萄")
    GIProduct.objects.filter(pk=grapes.pk).update(story="演示用户补充的历史文化")
    counts = (
        GIProduct.objects.count(),
        Division.objects.count(),
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        AuditLog.objects.count(),
    )

    output = load_demo()

    assert "新增账号 0 个，新增产品 0 个" in output
    assert (
        GIProduct.objects.count(),
        Division.objects.count(),
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        AuditLog.objects.count(),
    ) == counts
    assert GIProduct.objects.get(pk=grapes.pk).story == "演示用户补充的历史文化"


def test_demo_is_refused_in_production(settings, password_file):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="生产环境不能加载演示数据"):
        load_demo()

    assert not User.objects.exists()
    assert not GIProduct.objects.exists()
    assert not Division.objects.exists()
    assert not password_file.exists()


def test_password_from_the_environment_signs_in(demo, password_file):
    response = token_for("county_140121", DEMO_PASSWORD)

    assert response.status_code == 200
    assert response.json()["token"]
    assert not password_file.exists()
    assert DEMO_PASSWORD in demo


def test_without_the_environment_a_password_is_generated_kept_and_reused(password_file):
    output = load_demo()

    password = password_file.read_text(encoding="utf-8").strip()
    assert len(password) >= 12
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert f"演示密码：{password}（来自 {password_file}）" in output
    assert token_for("province_admin", password).status_code == 200

    load_demo()
    assert password_file.read_text(encoding="utf-8").strip() == password
