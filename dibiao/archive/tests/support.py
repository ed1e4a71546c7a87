"""Test helpers for the archive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from dibiao.archive.choices import ArchiveCategory
from dibiao.archive.models import ArchiveDocument
from dibiao.archive.services import archive_attach
from dibiao.archive.targets import filing_for
from dibiao.testing.files import pdf_upload


def attach(actor, target, upload=None, **kwargs: Any) -> ArchiveDocument:
    """File `upload` (a PDF by default) as `actor` would through the page or the API."""
    division, organization = filing_for(actor=actor, target=target)
    values: dict[str, Any] = {
        "category": ArchiveCategory.ACCEPTANCE,
        "document_date": dt.date(2026, 3, 15),
        "description": "县级验收报告",
        **kwargs,
    }
    return archive_attach(
        actor=actor,
        target=target,
        division=division,
        organization=organization,
        upload=upload or pdf_upload(),
        **values,
    )


def client_as(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
