"""Files leaving the archive: one document as a download, and a product's whole archive as one
ZIP with an index spreadsheet (目录.xlsx). Both are served as attachments with `nosniff`."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.db import models
from django.http import FileResponse
from django.utils import timezone

from dibiao.archive.models import ArchiveDocument
from dibiao.archive.selectors import archive_list_for_user
from dibiao.archive.targets import product_records, target_type_for
from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction
from dibiao.core.errors import NotFoundError
from dibiao.core.excel import xlsx_bytes
from dibiao.core.uploads import open_stored
from dibiao.registry.models import GIProduct

INDEX_NAME = "目录.xlsx"
INDEX_HEADERS = [
    "序号",
    "文件名",
    "类别",
    "日期",
    "说明",
    "所属对象",
    "上传人",
    "上传时间",
    "SHA-256",
    "ZIP 内路径",
]
# Already-compressed kinds are stored as they are; deflating them again only costs time.
_STORED_KINDS = frozenset({"jpeg", "png", "webp", "docx", "xlsx"})
_UNSAFE_IN_PATH = set('/\\:*?"<>|')


def _attachment_headers(response: FileResponse) -> FileResponse:
    # SecurityMiddleware sets nosniff on every response; it is set here as well so that a
    # stored file is never rendered by the browser, whatever the middleware configuration.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def document_response(document: ArchiveDocument) -> FileResponse:
    """The stored file, as an attachment named after the user's file (with the extension of
    its real kind) and with the content type of that kind, never the client's claim."""
    response = FileResponse(
        open_stored(document.file),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.file_kind.content_type,
    )
    return _attachment_headers(response)


@dataclass
class ArchiveZip:
    file: IO[bytes]
    filename: str
    count: int


def _path_part(text: str, limit: int = 60) -> str:
    cleaned = "".join("_" if ch in _UNSAFE_IN_PATH or ord(ch) < 32 else ch for ch in text)
    return cleaned.strip().strip(".")[:limit] or "_"


def _folder(document: ArchiveDocument, product: GIProduct) -> str:
    category = document.get_category_display()
    target: Any = document.target
    if isinstance(target, GIProduct) and target.pk == product.pk:
        return category
    label = target_type_for(target).label if target is not None else "其他"
    return f"{_path_part(label)}-{document.object_id} {_path_part(str(target or ''))}/{category}"


def _zip_time(document: ArchiveDocument) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(document.uploaded_at)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def archive_zip_for_product(
    *, user: Any, product: GIProduct, extra_targets: Sequence[models.Model] = ()
) -> ArchiveZip:
    """The product's whole archive that `user` may see, withdrawn documents left out: the
    product's own documents, those of every record registered as belonging to it
    (`targets.register_product_records`) and of `extra_targets`, in folders by category, with
    `目录.xlsx` listing them. Writes one audit row (export)."""
    if not GIProduct.objects.restrict(user).filter(pk=product.pk).exists():
        raise NotFoundError("未找到该产品。")
    documents = list(
        archive_list_for_user(user=user, targets=[*product_records(product), *extra_targets])
    )
    root = f"{_path_part(product.name)}-工作档案"
    # Small archives stay in memory, large ones go to a temporary file; either is streamed
    # out by FileResponse and removed when closed.
    buffer = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 (closed by FileResponse)
    rows: list[list[Any]] = []
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for number, document in enumerate(documents, start=1):
            path = f"{root}/{_folder(document, product)}/{number:03d}-{document.download_name}"
            info = zipfile.ZipInfo(path, date_time=_zip_time(document))
            info.compress_type = (
                zipfile.ZIP_STORED if document.kind in _STORED_KINDS else zipfile.ZIP_DEFLATED
            )
            with (
                open_stored(document.file, name=document.download_name) as source,
                archive.open(info, "w") as target,
            ):
                shutil.copyfileobj(source, target, 1024 * 1024)
            rows.append(
                [
                    number,
                    document.download_name,
                    document.get_category_display(),
                    document.document_date,
                    document.description,
                    str(document.target or ""),
                    str(document.uploaded_by or ""),
                    timezone.localtime(document.uploaded_at).strftime("%Y-%m-%d %H:%M"),
                    document.sha256,
                    path,
                ]
            )
        index = xlsx_bytes(sheet_title="目录", headers=INDEX_HEADERS, rows=rows)
        archive.writestr(zipfile.ZipInfo(f"{root}/{INDEX_NAME}", _now_tuple()), index)
    buffer.seek(0)
    audit_record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=product,
        detail=f"导出工作档案 ZIP：{len(documents)} 个文件",
    )
    stamped = f"{root}-{timezone.localtime():%Y%m%d-%H%M}.zip"
    return ArchiveZip(file=buffer, filename=stamped, count=len(documents))


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = timezone.localtime()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def zip_response(export: ArchiveZip) -> FileResponse:
    response = FileResponse(
        export.file, as_attachment=True, filename=export.filename, content_type="application/zip"
    )
    return _attachment_headers(response)
