"""`{% archive_attachments object %}`: a record's work-archive documents and an upload form, on
that record's own page. The record's type must be registered (`archive/targets.py`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db import models
from django.urls import reverse

from dibiao.archive.forms import ATTACH_PREFIX, ArchiveUploadForm, ArchiveWithdrawForm
from dibiao.archive.permissions import can_attach_to, can_file_under
from dibiao.archive.selectors import archive_list_for_user
from dibiao.archive.targets import target_type_for

register = template.Library()

# Its own query parameter, so that it cannot clash with the page's own filters.
WITHDRAWN_PARAM = "archive_withdrawn"


def _toggle_url(request: Any, *, show_withdrawn: bool) -> str:
    params = request.GET.copy()
    if show_withdrawn:
        params.pop(WITHDRAWN_PARAM, None)
    else:
        params[WITHDRAWN_PARAM] = "1"
    query = params.urlencode()
    return f"{request.path}?{query}#attachments" if query else f"{request.path}#attachments"


@register.inclusion_tag("archive/_attachments.html", takes_context=True)
def archive_attachments(
    context: template.Context,
    target: models.Model,
    *,
    upload: bool = True,
    title: str = "附件",
    hint: str = "",
) -> dict[str, Any]:
    """The documents of `target` the user may see (withdrawn ones behind a toggle), with
    download and withdraw links, and — when `upload` and the user may file on it — the upload
    form, posting to `archive:target-attach` and coming back to this page. Pass `upload=False`
    where the tag sits inside another form (HTML forms cannot nest)."""
    request = context["request"]
    user = request.user
    show_withdrawn = request.GET.get(WITHDRAWN_PARAM) == "1"
    documents = list(
        archive_list_for_user(user=user, target=target, include_withdrawn=show_withdrawn)
    )
    can_upload = upload and can_attach_to(user, target)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "target": target,
        "title": title,
        "hint": hint,
        "documents": documents,
        "withdrawable": {
            d.pk
            for d in documents
            if not d.is_withdrawn
            and can_file_under(user, division=d.division, organization=d.organization)
        },
        "withdraw_form": ArchiveWithdrawForm(),
        "show_withdrawn": show_withdrawn,
        "toggle_url": _toggle_url(request, show_withdrawn=show_withdrawn),
        "can_upload": can_upload,
        "form": ArchiveUploadForm(prefix=ATTACH_PREFIX) if can_upload else None,
        "action": reverse("archive:target-attach", args=[target_type_for(target).key, target.pk]),
        "next": f"{request.get_full_path()}#attachments",
    }
