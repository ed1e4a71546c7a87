"""What the browser tests share (headless Chromium through Playwright, against the live server):
where Chromium is, why a test cannot run, the flush fixture the audit log needs, and a logged-in
browser page.

Playwright drives Debian's Chromium (/usr/bin/chromium unless DIBIAO_CHROMIUM names another);
it never downloads a browser. A test module calls `require_browser(assets)` at import: without
Playwright, Chromium or the vendored assets it is skipped with the reason — and in CI
(CI=true) that is a failure instead, so a page's scripts never go untested.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("DIBIAO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Generous: on a loaded machine (the suite in parallel) a first request can take seconds.
TIMEOUT_MS = 60_000
APPEND_ONLY = importlib.import_module("dibiao.core.migrations.0002_auditlog_append_only")


def _missing(assets: tuple[Path, ...]) -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install playwright)"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (install it or set DIBIAO_CHROMIUM)"
    for asset in assets:
        if not asset.exists():
            return f"{asset.name} is not in the static files (make assets)"
    return None


def require_browser(*assets: str) -> None:
    """Skip the calling module (fail it in CI) unless the browser and the vendored static
    files it needs (paths under dibiao/core/static/vendor/) are there."""
    vendor = Path(settings.BASE_DIR) / "dibiao/core/static/vendor"
    reason = _missing(tuple(vendor / asset for asset in assets))
    if reason is None:
        return
    if CI:
        pytest.fail(f"the browser test cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture
def audit_rows_cleared_before_flush(transactional_db: None) -> Iterator[None]:
    """A transactional test ends with a flush. PostgreSQL's truncates, which the audit log's
    append-only triggers allow; SQLite's deletes row by row, which its trigger refuses once
    the test has written an audit row. The rows are removed here, with the triggers lifted
    for that moment only."""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in APPEND_ONLY.SQLITE_REVERSE:
            cursor.execute(statement)
        cursor.execute("DELETE FROM core_auditlog")
        for statement in APPEND_ONLY.SQLITE:
            cursor.execute(statement)


@contextmanager
def browser_page(live_server: Any, user: Any, *, width: int = 1280, height: int = 900) -> Any:
    """A Chromium page logged in as `user` and the list its script errors are collected in. Everything the server shows must be committed before: the Playwright event
    loop must not run while the ORM is used in this thread."""
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(TIMEOUT_MS)
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page, errors
        finally:
            browser.close()
