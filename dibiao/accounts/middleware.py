from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from dibiao.accounts.policy import current_policy

LAST_SEEN_KEY = "dibiao_last_seen"


class IdleTimeoutMiddleware:
    """Signs a user out after the policy's idle time.

    The last activity is kept in the session rather than in the cookie's lifetime, so the
    cookie stays a browser-session cookie (it never outlives the browser) while the idle
    limit follows the security administrator's policy.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if (
                last_seen is not None
                and now - int(last_seen) > current_policy().idle_timeout_minutes * 60
            ):
                logout(request)  # audited as a logout by the auth signal
                messages.info(request, "长时间未操作，已自动退出，请重新登录。")
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
