"""The deployment promises: check --deploy is clean with production values, the secret key is
generated once into var/, and demo data is refused in production."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LABEL_KEYS = "1:" + base64.b64encode(b"k" * 32).decode()
LEDGER_KEY = base64.b64encode(b"l" * 32).decode()


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DIBIAO_PII_KEY",
            "DIBIAO_LABEL_KEYS",
            "DIBIAO_LABEL_KEY_ID",
            "DIBIAO_LEDGER_KEY",
            "DEBUG",
            "DIBIAO_ENVIRONMENT",
        }
    }
    return subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_prints_no_warnings_with_production_values(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DIBIAO_PII_KEY": secrets.token_urlsafe(48),
            "DIBIAO_LABEL_KEYS": LABEL_KEYS,
            "DIBIAO_LEDGER_KEY": LEDGER_KEY,
            "ALLOWED_HOSTS": "dibiao.example.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_debug_is_off_unless_set_and_secret_key_is_generated_once(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"
    env = {"DIBIAO_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first = _manage("shell", "-c", code, env=env)
    second = _manage("shell", "-c", code, env=env)
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.strip().splitlines()[-1].split()
    assert debug == "False"
    assert len(key) >= 50
    assert second.stdout == first.stdout
    assert (tmp_path / "secret_key").read_text().strip() == key
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_load_demo_is_refused_in_production(tmp_path):
    result = _manage(
        "load_demo",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DIBIAO_PII_KEY": secrets.token_urlsafe(48),
            "DIBIAO_LABEL_KEYS": LABEL_KEYS,
            "DIBIAO_LEDGER_KEY": LEDGER_KEY,
            "ALLOWED_HOSTS": "x.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
    )
    assert result.returncode != 0
    assert "生产环境不能加载演示数据" in result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _manage(
        "check",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "ALLOWED_HOSTS": "x.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_the_personal_data_key(tmp_path):
    result = _manage(
        "check",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "x.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "DIBIAO_PII_KEY must be set in production" in result.stderr
    assert not (tmp_path / "pii_key").exists()


def test_production_refuses_to_start_without_the_ledger_key(tmp_path):
    result = _manage(
        "check",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DIBIAO_PII_KEY": secrets.token_urlsafe(48),
            "DIBIAO_LABEL_KEYS": LABEL_KEYS,
            "ALLOWED_HOSTS": "x.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "DIBIAO_LEDGER_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_label_keys(tmp_path):
    result = _manage(
        "check",
        env={
            "DIBIAO_ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "DIBIAO_PII_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "x.cn",
            "DIBIAO_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode != 0
    assert "DIBIAO_LABEL_KEYS must be set in production" in result.stderr


def test_label_keys_are_generated_once_in_development_and_a_short_key_is_refused(tmp_path):
    code = "from django.conf import settings; print(sorted(settings.DIBIAO_LABEL_KEYS), settings.DIBIAO_LABEL_KEY_ID)"
    env = {"DIBIAO_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first = _manage("shell", "-c", code, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().splitlines()[-1] == "[1] 1"
    assert oct((tmp_path / "label_keys").stat().st_mode & 0o777) == "0o600"
    short = _manage(
        "check", env={**env, "DIBIAO_LABEL_KEYS": "1:" + base64.b64encode(b"x" * 8).decode()}
    )
    assert short.returncode != 0
    assert "at least 32 bytes" in short.stderr
