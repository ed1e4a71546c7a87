from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dibiao.accounts.models import User
from dibiao.core.choices import AuditAction
from dibiao.core.models import AuditLog


def audit_log_list(
    *,
    username: str = "",
    action: str = "",
    object_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditLog]:
    """The audit log for the auditor, newest first. Callers check `can_read_audit_log`."""
    qs = AuditLog.objects.all()
    if username:
        qs = qs.filter(username__icontains=username)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type__icontains=object_type)
    if since:
        qs = qs.filter(at__gte=since)
    if until:
        qs = qs.filter(at__lte=until)
    return qs.order_by("-at", "-id")


def audit_summary_today() -> dict[str, int]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return AuditLog.objects.filter(at__gte=start).aggregate(
        total=Count("pk"),
        failed_logins=Count("pk", filter=Q(action=AuditAction.LOGIN_FAILED)),
        exports=Count("pk", filter=Q(action=AuditAction.EXPORT)),
        permission_changes=Count(
            "pk", filter=Q(action__in=[AuditAction.PERMISSION_GRANT, AuditAction.PERMISSION_REVOKE])
        ),
    )


def user_counts() -> dict[str, int]:
    return User.objects.aggregate(
        # distinct: the memberships join repeats a user once per role.
        total=Count("pk", distinct=True),
        active=Count("pk", distinct=True, filter=Q(is_active=True)),
        inactive=Count("pk", distinct=True, filter=Q(is_active=False)),
        without_role=Count("pk", filter=Q(memberships__isnull=True)),
    )
