"""Small uploads for the registry tests: a real PNG and a minimal PDF."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_upload(name: str = "photo.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, image_bytes() if content is None else content, content_type="image/png"
    )


def pdf_upload(name: str = "规程.pdf", content: bytes = b"%PDF-1.4\n%test\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")
