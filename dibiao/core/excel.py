"""Excel export of lists: streamed row by row (openpyxl write-only) and safe to open.

A cell that starts with = + - @ or a tab/CR would be run as a formula by Excel (CSV/formula
injection); such text is prefixed with an apostrophe so it is shown, not evaluated.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_write(
    target: IO[bytes],
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Write one sheet (bold header row, neutralised cells) as an .xlsx into `target`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    workbook.save(target)


def xlsx_bytes(*, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The same workbook as `xlsx_response`, as bytes (e.g. an index inside a ZIP export)."""
    buffer = io.BytesIO()
    xlsx_write(buffer, sheet_title=sheet_title, headers=headers, rows=rows)
    return buffer.getvalue()


def xlsx_response(
    *, filename: str, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    # A spooled file keeps small exports in memory and large ones on disk.
    buffer = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by FileResponse)
    xlsx_write(buffer, sheet_title=sheet_title, headers=headers, rows=rows)
    buffer.seek(0)
    stamped = f"{filename}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    response = FileResponse(buffer, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stamped)}"
    return response
