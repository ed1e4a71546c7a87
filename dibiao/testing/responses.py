"""Reading what a view streamed back (downloads, Excel exports) in tests."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    """The first sheet's rows, header included, of an Excel file a view returned."""
    workbook = load_workbook(io.BytesIO(streamed(response)), read_only=True)
    return list(workbook.worksheets[0].iter_rows(values_only=True))
