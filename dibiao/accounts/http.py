"""Typing for views behind a login: `request.user` is a `User` there, not `AnonymousUser`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated

from dibiao.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User


def request_user(request: Any) -> User:
    """The signed-in user of a page or API request (DRF has already refused anonymous ones)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user
