from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from dibiao.core.idempotency import _fingerprint


def _request(content: bytes) -> Request:
    upload = SimpleUploadedFile("报告.pdf", content, content_type="application/pdf")
    django_request = APIRequestFactory().post("/api/v1/x/", {"file": upload, "note": "a"})
    return Request(django_request, parsers=[MultiPartParser()])


def test_two_uploads_of_one_name_but_other_content_are_different_requests():
    assert _fingerprint(_request(b"%PDF-1.4 one")) != _fingerprint(_request(b"%PDF-1.4 two"))


def test_the_same_upload_twice_is_the_same_request_and_the_file_can_still_be_read():
    first, second = _request(b"%PDF-1.4 same"), _request(b"%PDF-1.4 same")
    assert _fingerprint(first) == _fingerprint(second)
    data: Any = first.data
    assert data["file"].read() == b"%PDF-1.4 same"
