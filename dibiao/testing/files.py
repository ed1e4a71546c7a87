"""Real files of every accepted kind, built in the test (no fixtures on disk), and a few that
must be refused. python-docx is not installed: the .docx is a minimal but complete WordprocessingML
package written with zipfile; the .doc and .xls are minimal compound files (MS-CFB) holding a
`WordDocument` / `Workbook` stream, which is what the validator looks for."""

from __future__ import annotations

import io
import struct
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (4, 3)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.create_sheet("资金")
    sheet.append(["资金", 100])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
    "word/document.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>验收报告</w:t></w:r></w:p></w:body></w:document>"
    ),
}


def docx_bytes(*, extra: dict[str, str] | None = None, drop: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**_DOCX_PARTS, **(extra or {})}.items():
            if name != drop:
                archive.writestr(name, text)
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return buffer.getvalue()


def _dir_entry(name: str, kind: int, *, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    entry = encoded.ljust(64, b"\0")
    entry += struct.pack("<HBB", len(encoded), kind, 1)
    entry += struct.pack("<III", 0xFFFFFFFF, 0xFFFFFFFF, child)
    entry += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # CLSID, state bits, times
    entry += struct.pack("<IQ", start, size)
    assert len(entry) == 128
    return entry


def ole_bytes(stream: str = "WordDocument") -> bytes:
    """A compound file whose root storage holds one 4 KB stream named `stream`."""
    sector = 512
    stream_sectors = 4096 // sector
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 0x2C, 1, 1, 0, 4096)  # 1 FAT sector, dir at sector 1
    struct.pack_into("<IIII", header, 0x3C, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    difat = [0] + [0xFFFFFFFF] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat = [0xFFFFFFFD, 0xFFFFFFFE]  # sector 0: the FAT itself; sector 1: the directory
    fat += [3 + i for i in range(stream_sectors - 1)] + [0xFFFFFFFE]  # sectors 2..9
    fat += [0xFFFFFFFF] * (sector // 4 - len(fat))
    directory = _dir_entry("Root Entry", 5, child=1, start=0xFFFFFFFE, size=0)
    directory += _dir_entry(stream, 2, child=0xFFFFFFFF, start=2, size=4096)
    directory += _dir_entry("", 0, child=0xFFFFFFFF, start=0, size=0) * 2
    body = struct.pack(f"<{sector // 4}I", *fat) + directory + b"\xec\xa5" * 2048
    return bytes(header) + body


def upload(
    name: str, content: bytes, content_type: str = "application/octet-stream"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_upload(name: str = "验收报告.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return upload(name, PDF if content is None else content, "application/pdf")


def png_upload(name: str = "现场照片.png", content: bytes | None = None) -> SimpleUploadedFile:
    return upload(name, image_bytes("PNG") if content is None else content, "image/png")
