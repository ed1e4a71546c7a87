"""The one upload validator: content sniffing, size limit, empty files, stored names."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dibiao.core.uploads import (
    DEFAULT_MAX_UPLOAD_BYTES,
    DOCUMENT_KINDS,
    IMAGE_KINDS,
    KINDS,
    UploadError,
    check_upload,
    clean_filename,
    download_name,
    max_upload_bytes,
    random_stored_name,
    sniff,
)
from dibiao.testing.files import (
    HTML,
    PDF,
    docx_bytes,
    image_bytes,
    ole_bytes,
    xlsx_bytes,
    zip_bytes,
)


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The client's content type is deliberately wrong: it must play no part.
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (image_bytes("PNG"), "png"),
        (image_bytes("JPEG"), "jpeg"),
        (image_bytes("WEBP"), "webp"),
        (docx_bytes(), "docx"),
        (xlsx_bytes(), "xlsx"),
        (ole_bytes("WordDocument"), "doc"),
        (ole_bytes("Workbook"), "xls"),
        (ole_bytes("Book"), "xls"),
    ],
)
def test_real_files_of_every_document_kind_are_accepted_whatever_their_name(content, kind):
    checked = check_upload(_upload("upload.bin", content), allowed=DOCUMENT_KINDS)

    assert checked.kind.code == kind
    assert checked.size == len(content)
    assert re.fullmatch(r"[0-9a-f]{64}", checked.sha256)
    assert checked.download_name == f"upload.{KINDS[kind].extension}"


def test_html_renamed_png_is_refused_and_named_for_what_it_is():
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("现场照片.png", HTML), allowed=IMAGE_KINDS)

    assert caught.value.code == "file_type_not_allowed"
    assert caught.value.status == 400
    assert "HTML 网页" in caught.value.message
    assert "“现场照片.png”" in caught.value.message
    assert "允许上传：JPEG 图片、PNG 图片、WebP 图片" in caught.value.message


@pytest.mark.parametrize(
    ("name", "content", "label"),
    [
        ("报告.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "SVG"),
        ("报告.pdf", b"#!/bin/sh\necho hi\n", "脚本文件"),
        ("报告.pdf", "只是一段文字".encode("gb18030"), "纯文本"),
        ("报告.docx", b"MZ\x90\x00" + bytes(300), "Windows 可执行程序"),
        ("报告.docx", zip_bytes(), "ZIP 压缩包"),
        ("报告.docx", docx_bytes(drop="word/document.xml"), "缺少 Word 或 Excel 正文部件"),
        ("报告.docx", docx_bytes(extra={"word/vbaProject.bin": "x"}), "启用宏的 Word 文档"),
        ("报告.doc", ole_bytes("PowerPoint Document"), "PowerPoint 97-2003"),
        ("报告.doc", ole_bytes("EncryptedPackage"), "加密的 Office 文档"),
        ("报告.doc", ole_bytes()[:700], "已损坏的 Office 97-2003 复合文档"),
        ("动图.png", image_bytes("GIF"), "GIF 图片"),
        ("照片.png", image_bytes("BMP"), "BMP 图片"),
        ("数据.xlsx", bytes(range(256)) * 4, "无法识别的二进制内容"),
    ],
)
def test_content_outside_the_allow_list_is_refused(name, content, label):
    with pytest.raises(UploadError) as caught:
        check_upload(_upload(name, content), allowed=DOCUMENT_KINDS)

    assert caught.value.code == "file_type_not_allowed"
    assert label in caught.value.message


def test_documents_are_not_images():
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("photo.png", PDF), allowed=IMAGE_KINDS)
    assert caught.value.code == "file_type_not_allowed"
    assert "PDF 文档" in caught.value.message


def test_empty_file_is_refused_with_a_clear_message():
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("空白.pdf", b""), allowed=DOCUMENT_KINDS)
    assert caught.value.code == "empty_file"
    assert caught.value.message == "“空白.pdf”是空文件（0 字节），请检查后重新选择。"


def test_oversized_file_is_refused_before_it_is_read(settings):
    settings.DIBIAO_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("大文件.pdf", PDF + b"x" * 2000), allowed=DOCUMENT_KINDS)
    assert caught.value.code == "file_too_large"
    assert "超过上限（1 KB）" in caught.value.message


def test_size_limit_defaults_to_20_mb_and_follows_the_setting(settings):
    assert max_upload_bytes() == DEFAULT_MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    settings.DIBIAO_UPLOAD_MAX_BYTES = 5
    assert max_upload_bytes() == 5


def test_a_file_exactly_at_the_limit_passes():
    content = image_bytes("PNG")
    checked = check_upload(_upload("a.png", content), allowed=IMAGE_KINDS, max_bytes=len(content))
    assert checked.kind.code == "png"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_image_is_refused_by_pillow(fmt):
    content = image_bytes(fmt, size=(64, 64))
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("坏图", content[:40]), allowed=IMAGE_KINDS)
    assert caught.value.code == "invalid_image"


def test_a_decompression_bomb_is_refused(monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(UploadError) as caught:
        check_upload(_upload("巨图.png", image_bytes("PNG", size=(20, 20))), allowed=IMAGE_KINDS)
    assert caught.value.code == "file_too_large"


def test_check_leaves_the_file_at_its_start():
    upload = _upload("a.pdf", PDF)
    check_upload(upload, allowed=DOCUMENT_KINDS)
    assert upload.read() == PDF


def test_sniff_reads_any_seekable_file():
    assert sniff(io.BytesIO(xlsx_bytes())).code == "xlsx"


def test_random_stored_name_is_random_dated_and_carries_the_detected_extension():
    first = random_stored_name(prefix="archive", extension="pdf")
    second = random_stored_name(prefix="archive", extension="pdf")

    assert re.fullmatch(r"archive/\d{4}/\d{2}/\d{2}/[0-9a-f]{32}\.pdf", first)
    assert first != second


@pytest.mark.parametrize(
    ("original", "kind", "expected"),
    [
        ("规程.pdf", "pdf", "规程.pdf"),
        ("规程.pdf.sh", "pdf", "规程.pdf"),
        ("photo.png", "jpeg", "photo.jpg"),
        ("photo.JPEG", "jpeg", "photo.JPEG"),
        ("noextension", "docx", "noextension.docx"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\合同.PDF", "pdf", "合同.PDF"),
        ("a\x00b\r\n.xlsx", "xlsx", "ab.xlsx"),
    ],
)
def test_download_name_keeps_the_users_name_with_the_real_extension(original, kind, expected):
    assert download_name(original, KINDS[kind]) == expected


def test_clean_filename_never_returns_an_empty_name():
    assert clean_filename("../") == "未命名"
    assert len(clean_filename("长" * 300 + ".pdf")) == 200
    assert clean_filename("长" * 300 + ".pdf").endswith(".pdf")
