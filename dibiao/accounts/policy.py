"""The security policy, read on every login attempt and request: cached briefly, because a
query per request for a row that changes a few times a year is waste. A change made by the
security administrator reaches every process within POLICY_CACHE_SECONDS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.cache import cache

POLICY_CACHE_KEY = "dibiao:security_policy"
POLICY_CACHE_SECONDS = 60


def current_policy() -> Any:
    from dibiao.accounts.models import SecurityPolicy

    policy = cache.get(POLICY_CACHE_KEY)
    if policy is None:
        policy, _ = SecurityPolicy.objects.get_or_create(pk=1)
        cache.set(POLICY_CACHE_KEY, policy, POLICY_CACHE_SECONDS)
    return policy


def forget_policy() -> None:
    cache.delete(POLICY_CACHE_KEY)


def axes_failure_limit(request: Any = None, credentials: Any = None) -> int:
    return int(current_policy().failure_limit)


def axes_cooloff_time(request: Any = None) -> timedelta:
    return timedelta(minutes=current_policy().lockout_minutes)
