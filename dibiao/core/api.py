"""API conventions shared by every app: pagination and the {code, message} error shape."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from dibiao.core.errors import DomainError
from dibiao.core.pagination import Pagination
from dibiao.core.params import MAX_ID


# Base for a paginated list endpoint: the subclass gets its rows from a selector and answers
# with `self.page_of(rows)`. Being a GenericAPIView with a pagination class is what lets the
# OpenAPI schema describe `page`, `page_size` and the count/results envelope. (A comment, not a
# docstring: drf-spectacular would print a docstring into every endpoint's description.)
class ListApi(GenericAPIView[Any]):
    pagination_class = Pagination
    filter_backends: list[Any] = []  # filtering is the selectors' job, with their own parameters

    def page_of(self, rows: QuerySet[Any]) -> Response:
        page = self.paginate_queryset(rows)
        serializer_class = self.get_serializer_class()
        context = self.get_serializer_context()  # the request, for fields that depend on the caller
        return self.get_paginated_response(serializer_class(page, many=True, context=context).data)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            text = _first_message(value)
            return text if field in ("non_field_errors", "detail") else f"{field}: {text}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}

_MESSAGES: dict[str, str] = {
    "not_authenticated": "需要登录或提供有效的令牌。",
    "authentication_failed": "令牌无效或已失效。",
    "permission_denied": "没有执行此操作的权限。",
    "not_found": "未找到该记录。",
    "csrf_failed": "CSRF 校验失败：使用登录会话调用写接口时须带 X-CSRFToken 请求头，或改用令牌认证。",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        coded = Response({"code": exc.code, "message": exc.message}, status=exc.status)
        if exc.retry_after is not None:
            coded["Retry-After"] = str(exc.retry_after)
        return coded
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "error")
    if code == "permission_denied" and str(exc.detail).startswith("CSRF Failed"):
        # A session-authenticated write without the CSRF token: say so, or the client is left
        # guessing at a permission it does have.
        code = "csrf_failed"
    body: dict[str, Any] = {
        "code": code,
        "message": _MESSAGES.get(code) or _first_message(exc.detail),
    }
    if isinstance(exc, exceptions.ValidationError):
        body["errors"] = exc.detail
    response.data = body
    if code == "not_authenticated":
        response.status_code = status.HTTP_401_UNAUTHORIZED
    return response


class ScopedRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """An id in a request body that the caller cannot see reads as "does not exist", exactly
    like a missing id, so ids cannot be probed across scopes. Subclasses name the rows. An id
    that could not even be a key (past 64 bits, zero, "²") is refused the same way instead of
    overflowing in the database."""

    def rows(self, user: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def to_internal_value(self, data: Any) -> Any:
        text = str(data).strip()
        if isinstance(data, bool) or not (text.isascii() and text.isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < int(text) <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(int(text))

    def get_queryset(self) -> QuerySet[Any]:
        return self.rows(self.context["request"].user)


def validated(
    serializer_class: type[serializers.Serializer[Any]], request: Request, **context: Any
) -> Any:
    """The request body through an input serializer (400 `invalid` otherwise)."""
    data = serializer_class(data=request.data, context={"request": request, **context})
    data.is_valid(raise_exception=True)
    return data.validated_data


def int_query_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        return None
    # isdigit() alone admits "²" and other digits int() refuses; more than 18 digits overflow
    # the 64-bit id columns. Both are bad input, not a server error.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise serializers.ValidationError({name: ["请输入整数 id。"]})
    return int(raw)
