from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from dibiao.accounts.policy import current_policy

LAST_SEEN_KEY = "dibiao_last_seen"
STARTED_KEY = "dibiao_started"


class IdleTimeoutMiddleware:
    """Signs a user out after the policy's idle time, and in any case SESSION_MAX_SECONDS after
    the session's first signed-in request.

    Both clocks are kept in the session rather than in the cookie's lifetime, so the cookie
    stays a browser-session cookie (it never outlives the browser) while the limits follow the
    security administrator's policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = int(session.setdefault(STARTED_KEY, now))
            last_seen = int(session.get(LAST_SEEN_KEY, now))
            if now - last_seen > current_policy().idle_timeout_minutes * 60:
                logout(request)  # audited as a logout by the auth signal
                messages.info(request, "长时间未操作，已自动退出，请重新登录。")
            elif now - started > settings.SESSION_MAX_SECONDS:
                logout(request)
                messages.info(request, "登录已超过最长时限，请重新登录。")
            else:
                session[LAST_SEEN_KEY] = now
        return self.get_response(request)
