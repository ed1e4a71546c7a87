"""Login, logout and failed-login audit rows.

Django's auth signals are where every sign-in path passes: the login page sends
`user_logged_in`, and both the page and the token endpoint send `user_login_failed` through
`authenticate()`. (A successful token sign-in does not log a session in; the token endpoint
audits it itself.) The receivers record; they decide nothing (STYLE.md: no workflow in signals).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from dibiao.core.audit import audit_record
from dibiao.core.choices import AuditAction


@receiver(user_logged_in, dispatch_uid="dibiao_audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=AuditAction.LOGIN, obj=user)


@receiver(user_logged_out, dispatch_uid="dibiao_audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=AuditAction.LOGOUT, obj=user)


@receiver(user_login_failed, dispatch_uid="dibiao_audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    audit_record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        username=username,
        object_type="accounts.user",
        object_id=username,
        object_repr=username,
        detail="账号已锁定" if locked else "用户名或密码错误",
    )
