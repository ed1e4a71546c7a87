"""/evaluation/reports/ (URL name `evaluation:reports`, linked from the evaluation pages): the
reports are made as background jobs in the reports app now (`reports:job-create`); this keeps
the old address and the program chosen on the evaluation pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse

from dibiao.core.params import parse_id


def report_page(request: HttpRequest) -> HttpResponseRedirect:
    target = reverse("reports:job-create")
    program = parse_id(request.GET.get("program"))
    return HttpResponseRedirect(
        f"{target}?{urlencode({'program': program})}" if program else target
    )


urlpatterns = [path("reports/", report_page, name="reports")]
