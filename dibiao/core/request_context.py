"""The current request's client address, for the audit log.

Services are called from pages, the API, commands and tasks; only the first two have an IP.
Rather than thread the request through every service signature, the middleware puts the
address in a context variable that the audit writer reads (None outside a request).
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

_client_ip: ContextVar[str | None] = ContextVar("dibiao_client_ip", default=None)


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip_from(request: HttpRequest) -> str | None:
    """The client's address. X-Forwarded-For is read only when the request came from one of
    settings.TRUSTED_PROXIES, and then from the right: each trusted proxy appends the address
    it saw, so the first untrusted address from the right is the client (anything to its
    left was written by the client and may be forged)."""
    remote = _valid_ip(request.META.get("REMOTE_ADDR", ""))
    trusted = {ip for ip in map(_valid_ip, settings.TRUSTED_PROXIES) if ip}
    if remote is None or remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for candidate in reversed(forwarded.split(",")):
        address = _valid_ip(candidate)
        if address is None:
            break
        if address not in trusted:
            return address
    return remote


def current_client_ip() -> str | None:
    return _client_ip.get()


def set_client_ip(ip: str | None) -> object:
    return _client_ip.set(ip)


def reset_client_ip(token: object) -> None:
    _client_ip.reset(token)  # type: ignore[arg-type]
