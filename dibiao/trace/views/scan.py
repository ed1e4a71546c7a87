"""The consumer scan page `/t/<code>` (public, no login) and `/t/` to type a code in.

Phone-first and light: one HTML document with its CSS inline, no script, no web font, no
external resource, so that it loads on a weak connection and inside WeChat's browser. Never
cached by a browser or a proxy: every visit is a scan that is counted.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dibiao.trace import codes
from dibiao.trace.clients import client_info
from dibiao.trace.errors import TraceError
from dibiao.trace.services.scans import scan_check

MAX_TYPED_CHARS = 64


@never_cache
@require_GET
def scan_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        facts = scan_check(text=code[:MAX_TYPED_CHARS], client=client_info(request), via_api=False)
    except TraceError as exc:
        if exc.status != 429:
            raise
        context = {"message": exc.message, "retry_after": exc.retry_after}
        response = render(request, "trace/scan_limited.html", context, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return render(request, "trace/scan_page.html", {"facts": facts})


@require_GET
def scan_entry(request: HttpRequest) -> HttpResponse:
    """A code read off a label and typed in: dashes, blanks and lower case are fine."""
    text = codes.normalise(request.GET.get("code", ""))[:MAX_TYPED_CHARS]
    typed = "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch in "*~$="))
    if typed:
        return redirect("trace-public:scan", code=typed)
    return render(request, "trace/scan_entry.html")


urlpatterns = [
    path("t/", scan_entry, name="scan-entry"),
    path("t/<str:code>", scan_page, name="scan"),
]
