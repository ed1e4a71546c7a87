from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from dibiao.core.errors import DomainError
from dibiao.core.request_context import client_ip_from, reset_client_ip, set_client_ip


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_client_ip(client_ip_from(request))
        try:
            return self.get_response(request)
        finally:
            reset_client_ip(token)


NUL_MESSAGE = "请求中含有不允许的空字符（\\0）。"


def _has_nul(request: HttpRequest) -> bool:
    if any("\x00" in value for values in request.GET.lists() for value in values[1]):
        return True
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    content_type = request.content_type or ""
    if content_type.startswith("multipart/"):
        # A file may hold NUL bytes legitimately; the form fields may not.
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    if content_type in {"application/json", "application/x-www-form-urlencoded"}:
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
    return False


class RejectNulMiddleware:
    """A NUL character in a query parameter or a body cannot be stored in PostgreSQL text (it
    raises DataError deep in a query, a 500). Every app is protected here, once: the request
    is refused with 400 before any view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "message": NUL_MESSAGE}, status=400)
            return render(request, "core/error.html", {"message": NUL_MESSAGE}, status=400)
        return self.get_response(request)


class DomainErrorMiddleware:
    """A coded domain error that escapes a page view becomes the page it means (404 for another
    scope's object, 403 for a missing right, 400 with the message otherwise), never a 500.
    API views have their own handler (core/api.py)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError):
            return None
        if exception.status == 404:
            raise Http404(exception.message) from exception
        if exception.status == 403:
            raise PermissionDenied(exception.message) from exception
        return render(
            request, "core/error.html", {"message": exception.message}, status=exception.status
        )
