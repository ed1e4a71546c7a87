"""The OpenAPI schema of every app is generated without a warning and validates: a warning is
a field the API documents wrongly (a guessed type, two components with one name, ...)."""

from __future__ import annotations

import io

from django.core.management import call_command


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
        stdout=out,
        stderr=err,
    )
    schema = (tmp_path / "schema.yaml").read_text(encoding="utf-8")
    for path in ("/api/v1/producers/", "/api/v1/production-logs/", "/api/v1/test-reports/"):
        assert path in schema
    assert "Warning" not in err.getvalue()
