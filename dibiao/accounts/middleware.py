from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dibiao.accounts.policy import current_policy


class IdleTimeoutMiddleware:
    """Signs a user out after the policy's idle time: the session's expiry is pushed forward
    on each request (SESSION_SAVE_EVERY_REQUEST), so it lapses only when the user is idle."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            request.session.set_expiry(current_policy().idle_timeout_minutes * 60)
        return self.get_response(request)
