"""The current request's client address, for the audit log.

Services are called from pages, the API, commands and tasks; only the first two have an IP.
Rather than thread the request through every service signature, the middleware puts the
address in a context variable that the audit writer reads (None outside a request).
"""

from __future__ import annotations

from contextvars import ContextVar

from django.http import HttpRequest

_client_ip: ContextVar[str | None] = ContextVar("dibiao_client_ip", default=None)


def client_ip_from(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is what the WSGI server saw; behind a reverse proxy the operator must make
    # the proxy set it (docs/operations.md). X-Forwarded-For is not trusted: clients forge it.
    return request.META.get("REMOTE_ADDR") or None


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(ip: str | None) -> object:
    return _client_ip.set(ip)


def reset_client_ip(token: object) -> None:
    _client_ip.reset(token)  # type: ignore[arg-type]
