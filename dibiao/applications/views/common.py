from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dibiao.applications.permissions import can_see_applications


def require_staff(request: HttpRequest) -> None:
    """Application pages are for the government roles; experts use their review pages."""
    if not can_see_applications(request.user):
        raise PermissionDenied


def allocation_url(allocation_id: int | None) -> str:
    # The projects pages are another app's; link to them when they are there.
    if allocation_id is None:
        return ""
    try:
        return reverse("projects:allocation-detail", args=[allocation_id])
    except NoReverseMatch:
        return ""


def form_errors(*forms: object) -> str:
    """The first messages of invalid forms, as one line for a flash message."""
    parts: list[str] = []
    for form in forms:
        errors = getattr(form, "errors", None)
        if isinstance(errors, list):  # a formset
            for row in errors:
                parts.extend(str(e) for field in row.values() for e in field)
        elif errors:
            parts.extend(str(e) for field in errors.values() for e in field)
    return "；".join(parts[:5])
