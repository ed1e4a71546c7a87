"""The one upload validator: every app that accepts a file calls `check_upload`.

A file is judged by its content, never by its name: an HTML page renamed `.png` is an HTML
page. The first bytes are identified with `filetype` (magic numbers); two families need more
than a magic number and are checked here by structure:

- Office Open XML (.docx/.xlsx) is a ZIP: it is a Word or Excel file only if the archive really
  holds `[Content_Types].xml` and `word/document.xml` or `xl/workbook.xml`. Macro-enabled
  variants (.docm/.xlsm) are refused.
- Office 97-2003 (.doc/.xls) is an OLE compound file: its directory is read and the root
  storage must hold a `WordDocument` or `Workbook`/`Book` stream.

Images are also opened with Pillow, so that a PNG header in front of anything else is refused.
The file is stored under a random name with the extension of the detected kind
(`random_stored_name`), and served with the kind's content type, as an attachment, `nosniff`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import unicodedata
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.http import FileResponse
from django.utils import timezone

from dibiao.core.errors import DomainError, NotFoundError

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 8192

logger = logging.getLogger(__name__)


class UploadError(DomainError):
    """`empty_file`, `file_too_large`, `file_type_not_allowed` or `invalid_image` (400)."""


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    extension: str  # the extension a stored or downloaded file of this kind gets
    content_type: str
    aliases: frozenset[str] = frozenset()  # other extensions a user's name may rightly carry

    def fits_name(self, name: str) -> bool:
        ext = os.path.splitext(name)[1].lower().lstrip(".")
        return ext == self.extension or ext in self.aliases


KINDS: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "PDF 文档", "pdf", "application/pdf"),
        FileKind(
            "docx",
            "Word 文档（.docx）",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        FileKind("doc", "Word 97-2003 文档（.doc）", "doc", "application/msword"),
        FileKind(
            "xlsx",
            "Excel 工作簿（.xlsx）",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        FileKind("xls", "Excel 97-2003 工作簿（.xls）", "xls", "application/vnd.ms-excel"),
        FileKind("jpeg", "JPEG 图片", "jpg", "image/jpeg", frozenset({"jpeg", "jpe"})),
        FileKind("png", "PNG 图片", "png", "image/png"),
        FileKind("webp", "WebP 图片", "webp", "image/webp"),
    )
}
KIND_CHOICES = [(kind.code, kind.label) for kind in KINDS.values()]
IMAGE_KINDS = frozenset({"jpeg", "png", "webp"})
DOCUMENT_KINDS = frozenset({"pdf", "docx", "xlsx", "doc", "xls"}) | IMAGE_KINDS
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


@dataclass(frozen=True)
class Detected:
    """What the content is: `code` is a key of KINDS, or None for anything else."""

    code: str | None
    label: str


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    size: int
    sha256: str
    original_name: str  # the user's file name, cleaned (no path, no control characters)

    @property
    def download_name(self) -> str:
        return download_name(self.original_name, self.kind)


def max_upload_bytes() -> int:
    return int(getattr(settings, "DIBIAO_UPLOAD_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def check_upload(
    upload: Any, *, allowed: frozenset[str], max_bytes: int | None = None
) -> CheckedUpload:
    """Validate `upload` (a Django `File`/`UploadedFile`) for a use that accepts `allowed`
    kinds; raise `UploadError` otherwise. Leaves the file at position 0."""
    name = clean_filename(getattr(upload, "name", "") or "")
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    size = _size_of(upload)
    if size == 0:
        raise UploadError("empty_file", f"“{name}”是空文件（0 字节），请检查后重新选择。")
    if size > limit:
        raise UploadError(
            "file_too_large",
            f"“{name}”大小为 {size_text(size)}，超过上限（{size_text(limit)}）。",
        )
    detected = sniff(upload)
    if detected.code not in allowed:
        raise UploadError(
            "file_type_not_allowed",
            f"不支持的文件类型：“{name}”检测到的实际内容为：{detected.label}（按文件内容判断，"
            f"与文件名无关）。允许上传：{allowed_labels(allowed)}。",
        )
    kind = KINDS[detected.code]
    if kind.code in IMAGE_KINDS:
        _verify_image(upload, kind, name)
    digest = _sha256(upload)
    return CheckedUpload(kind=kind, size=size, sha256=digest, original_name=name)


def allowed_labels(allowed: frozenset[str]) -> str:
    return "、".join(kind.label for code, kind in KINDS.items() if code in allowed)


def sniff(upload: Any) -> Detected:
    """Identify the content of an open file (any object with read/seek)."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    try:
        if head.startswith(_OLE_SIGNATURE):
            return _ole_kind(upload)
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(upload)
        guess = filetype.guess(head)
        if guess is not None:
            return _filetype_kind(guess.extension, guess.mime)
        return Detected(None, _text_label(head))
    finally:
        upload.seek(0)


def random_stored_name(*, prefix: str, extension: str) -> str:
    """Where a new file is stored: a date path and a random name that tells nothing of the
    original and cannot collide or be guessed, e.g. `archive/2026/11/20/<32 hex>.pdf`."""
    return f"{prefix}/{timezone.localdate():%Y/%m/%d}/{uuid.uuid4().hex}.{extension}"


def clean_filename(name: str, *, max_length: int = 200) -> str:
    """The last path component of a user-supplied name, without control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if not unicodedata.category(ch).startswith("C"))
    base = base.strip().strip(".").strip()
    if len(base) > max_length:
        stem, ext = os.path.splitext(base)
        base = stem[: max_length - len(ext)] + ext if len(ext) < 16 else base[:max_length]
    return base or "未命名"


class StoredFileMissing(DomainError):
    """A record's file is gone from storage (a lost disk, a database restored without its
    media): 410 with a message, never a 500. Logged, since only an administrator can restore
    it from the backups."""

    status = 410

    def __init__(self, name: str = "") -> None:
        what = f"文件“{name}”" if name else "文件"
        super().__init__("file_missing", f"{what}已不在存储中，请联系系统管理员从备份中恢复。")


def open_stored(field: Any, *, name: str = "") -> IO[bytes]:
    """A stored file (`FieldFile`) opened for reading. A record without a file is a 404; a
    file its record names but the storage no longer holds is `StoredFileMissing` (410; `name`
    is the file's name to show)."""
    if not field:
        raise NotFoundError("该记录没有文件。")
    try:
        handle: IO[bytes] = field.open("rb")
    except FileNotFoundError:
        logger.error("stored file missing: %s (%s)", field.name, type(field.instance).__name__)
        raise StoredFileMissing(name) from None
    return handle


def file_response(
    handle: IO[bytes], *, filename: str, content_type: str, attachment: bool = True
) -> FileResponse:
    """A stored or generated file sent to the browser: under its cleaned name, as an attachment
    unless asked otherwise, with its type and never sniffed for another."""
    response = FileResponse(
        handle,
        as_attachment=attachment,
        filename=clean_filename(filename),
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def download_name(original: str, kind: FileKind) -> str:
    """The user's name with the extension of the detected kind: a PDF sent as `规程.pdf.sh`
    downloads as `规程.pdf`, a JPEG named `photo.png` as `photo.jpg`."""
    name = clean_filename(original)
    if kind.fits_name(name):
        return name
    stem, ext = os.path.splitext(name)
    if ext and kind.fits_name(stem):
        return stem
    return f"{stem or name}.{kind.extension}"


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB".replace(".0 ", " ")
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 ", " ")


# --- helpers ---------------------------------------------------------------------------------


def _size_of(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    return int(size)


def _sha256(upload: Any) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    while chunk := upload.read(1024 * 1024):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _verify_image(upload: Any, kind: FileKind, name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        # A decompression bomb (tens of millions of pixels in a small file) is refused, not
        # just warned about.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UploadError("file_too_large", f"“{name}”的像素过多，请缩小图片后再上传。") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadError(
            "invalid_image", f"“{name}”的文件头表明是 {kind.label}，但无法解析，文件可能已损坏。"
        ) from exc
    finally:
        upload.seek(0)
    if image_format != _PILLOW_FORMATS[kind.code]:
        raise UploadError(
            "invalid_image", f"“{name}”的文件头表明是 {kind.label}，但无法按该格式解析。"
        )


_FILETYPE_KINDS = {"pdf": "pdf", "jpg": "jpeg", "png": "png", "apng": "png", "webp": "webp"}
_FILETYPE_LABELS = {
    "gif": "GIF 图片",
    "bmp": "BMP 图片",
    "tif": "TIFF 图片",
    "heic": "HEIC 图片",
    "avif": "AVIF 图片",
    "jpx": "JPEG 2000 图片",
    "ico": "图标文件",
    "psd": "Photoshop 文件",
    "exe": "Windows 可执行程序",
    "elf": "Linux 可执行程序",
    "rar": "RAR 压缩包",
    "7z": "7z 压缩包",
    "gz": "gzip 压缩包",
    "bz2": "bzip2 压缩包",
    "xz": "xz 压缩包",
    "tar": "tar 归档",
    "rtf": "RTF 文档",
    "swf": "Flash 动画",
    "sqlite": "SQLite 数据库",
    "mp4": "MP4 视频",
    "mov": "QuickTime 视频",
    "avi": "AVI 视频",
    "mp3": "MP3 音频",
    "wav": "WAV 音频",
}


def _filetype_kind(extension: str, mime: str) -> Detected:
    code = _FILETYPE_KINDS.get(extension)
    if code is not None:
        return Detected(code, KINDS[code].label)
    return Detected(None, _FILETYPE_LABELS.get(extension, f"{extension.upper()} 文件（{mime}）"))


def _text_label(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()[:2048].lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "HTML 网页"
    if b"<svg" in text:
        return "SVG 矢量图（可含脚本）"
    if any(tag in text for tag in (b"<script", b"<html", b"<body", b"<iframe", b"<head")):
        return "HTML 网页"
    if text.startswith(b"<?xml"):
        return "XML 文件"
    if text.startswith(b"#!"):
        return "脚本文件"
    if b"\x00" not in head:
        for encoding in ("utf-8", "gb18030"):
            try:
                # The sniffed block may end inside a multi-byte character.
                head[: len(head) - 4 if len(head) == SNIFF_BYTES else None].decode(encoding)
            except UnicodeDecodeError:
                continue
            return "纯文本"
    return "无法识别的二进制内容"


# --- Office Open XML (ZIP) -------------------------------------------------------------------


def _zip_kind(upload: IO[bytes]) -> Detected:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            content_types = b""
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as handle:
                    content_types = handle.read(256 * 1024)  # bounded: it may be a zip bomb
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, EOFError, ValueError):
        return Detected(None, "已损坏的 ZIP 压缩包")
    macros = b"macroenabled" in content_types.lower() or any(
        n.endswith("vbaProject.bin") for n in names
    )
    if content_types:
        if "word/document.xml" in names:
            return Detected(None, "启用宏的 Word 文档（.docm）") if macros else _known("docx")
        if "xl/workbook.xml" in names:
            return Detected(None, "启用宏的 Excel 工作簿（.xlsm）") if macros else _known("xlsx")
        if "xl/workbook.bin" in names:
            return Detected(None, "Excel 二进制工作簿（.xlsb）")
        if any(n.startswith("ppt/") for n in names):
            return Detected(None, "PowerPoint 演示文稿（.pptx）")
        return Detected(None, "不完整的 Office 文档（缺少 Word 或 Excel 正文部件）")
    if "mimetype" in names:
        return Detected(None, "OpenDocument 文档（.odt/.ods）")
    if "META-INF/MANIFEST.MF" in names or "AndroidManifest.xml" in names:
        return Detected(None, "Java/Android 程序包")
    return Detected(None, "ZIP 压缩包")


def _known(code: str) -> Detected:
    return Detected(code, KINDS[code].label)


# --- Office 97-2003 (OLE compound file, MS-CFB) ----------------------------------------------

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_NO_STREAM = 0xFFFFFFFF


class _BadCompoundFile(Exception):
    pass


def _ole_kind(upload: IO[bytes]) -> Detected:
    upload.seek(0)
    data = upload.read()
    try:
        streams = _ole_root_streams(data)
    except (_BadCompoundFile, struct.error, IndexError):
        return Detected(None, "已损坏的 Office 97-2003 复合文档")
    if "WordDocument" in streams:
        return _known("doc")
    if "Workbook" in streams or "Book" in streams:
        return _known("xls")
    if "EncryptedPackage" in streams:
        return Detected(None, "加密的 Office 文档（请先取消密码保护）")
    if "PowerPoint Document" in streams:
        return Detected(None, "PowerPoint 97-2003 演示文稿（.ppt）")
    return Detected(None, "Office 97-2003 复合文档（不是 Word 或 Excel）")


def _ole_root_streams(data: bytes) -> set[str]:
    """Names of the entries directly under the root storage of a compound file."""
    if len(data) < 512:
        raise _BadCompoundFile
    sector_shift = struct.unpack_from("<H", data, 0x1E)[0]
    if sector_shift not in (9, 12):
        raise _BadCompoundFile
    sector_size = 1 << sector_shift
    max_sectors = len(data) // sector_size

    def sector(sid: int) -> bytes:
        start = (sid + 1) * sector_size
        if start >= len(data):
            raise _BadCompoundFile
        return data[start : start + sector_size].ljust(sector_size, b"\0")

    # The FAT's own sectors: 109 listed in the header, the rest in the DIFAT chain.
    fat_sids = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < max_sectors]
    difat_sid = struct.unpack_from("<I", data, 0x44)[0]
    per_sector = sector_size // 4
    for _ in range(max_sectors):
        if difat_sid >= max_sectors:
            break
        entries = struct.unpack(f"<{per_sector}I", sector(difat_sid))
        fat_sids.extend(s for s in entries[:-1] if s < max_sectors)
        difat_sid = entries[-1]
    fat: list[int] = []
    for sid in fat_sids:
        fat.extend(struct.unpack(f"<{per_sector}I", sector(sid)))

    directory = b""
    sid = struct.unpack_from("<I", data, 0x30)[0]
    for _ in range(max_sectors):  # bounded: a corrupt FAT may loop
        if sid == _END_OF_CHAIN:
            break
        directory += sector(sid)
        if sid >= len(fat):
            raise _BadCompoundFile
        sid = fat[sid]
    records = [directory[i : i + 128] for i in range(0, len(directory) - 127, 128)]
    if not records:
        raise _BadCompoundFile

    def name_of(entry: bytes) -> str:
        length = struct.unpack_from("<H", entry, 64)[0]
        return entry[: max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")

    # The root's children form a red-black tree through left/right sibling ids.
    names: set[str] = set()
    pending = [struct.unpack_from("<I", records[0], 76)[0]]
    seen: set[int] = set()
    while pending:
        did = pending.pop()
        if did == _NO_STREAM or did in seen or did >= len(records):
            continue
        seen.add(did)
        entry = records[did]
        names.add(name_of(entry))
        pending.extend(struct.unpack_from("<II", entry, 68))
    return names
