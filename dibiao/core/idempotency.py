"""`Idempotency-Key` for API writes: a repeated key returns the first answer, with no second
effect, even when the repeats arrive at the same moment.

The record is created inside the same transaction as the write. On PostgreSQL a concurrent
insert of the same (user, key) blocks on the unique index until the first transaction
commits, then fails and reads the stored answer; on SQLite whole write transactions are
serialised (BEGIN IMMEDIATE), with the same outcome. An error answer (4xx from a refused
write) rolls back with the write, so a corrected retry with the same key is possible.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from dibiao.core.errors import DomainError
from dibiao.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
Handler = Callable[..., Response]

# The header as the API schema documents it, on every write that takes it.
IDEMPOTENCY_HEADER = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="幂等键：同一键重复提交返回首次结果（响应头 Idempotent-Replayed: true），"
    "不会重复执行；同一键用于不同请求返回 422。",
)


class IdempotencyError(DomainError):
    pass


def _describe(value: Any) -> str:
    """JSON stand-in for what json cannot encode. An uploaded file counts by its content, so a
    retry with the same key but another file of the same name is a different request."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return f"file:{value.name}:{value.size}:{digest.hexdigest()}"
    return str(value)


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=_describe)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(handler: Handler) -> Handler:
    """Decorates an APIView write method (post/patch)."""

    @wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return handler(view, request, *args, **kwargs)
        if len(key) > 100 or not key.isprintable():
            raise IdempotencyError(
                "invalid_idempotency_key", "Idempotency-Key 应为不超过 100 个可打印字符。"
            )
        fingerprint = _fingerprint(request)
        user_id = request.user.pk
        if user_id is None:  # the views require authentication; keys are per user
            return handler(view, request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user_id=user_id, key=key, fingerprint=fingerprint, status_code=0
                    )
            except IntegrityError:
                earlier = IdempotencyRecord.objects.get(user_id=user_id, key=key)
                if earlier.fingerprint != fingerprint:
                    raise IdempotencyError(
                        "idempotency_key_reused",
                        "该 Idempotency-Key 已用于另一个请求。",
                        status=422,
                    ) from None
                replay = Response(earlier.response, status=earlier.status_code)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = handler(view, request, *args, **kwargs)
            record.status_code = response.status_code
            record.response = response.data if response.data is not None else {}
            record.save(update_fields=["status_code", "response"])
            return response

    return wrapper
