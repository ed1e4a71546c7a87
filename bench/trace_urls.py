"""URLconf of the trace benchmark's server: the project's URLs, with the minimal JSON view the
trace API is measured against added at the end of the API routes (/api/v1/bench/minimal/).

Resolving a URL walks the URL patterns in order, and an API URL passes the page routes first:
a view mounted ahead of them would skip a cost every API request pays (on the development
machine about 0.25 ms). Mounted after the project's API routes, the minimal view pays as much
routing as the trace API (a little more), so the comparison is of the views themselves.
"""

from typing import cast

from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, include, path

from config import urls as project
from dibiao.core.models import Division


def minimal(request: HttpRequest) -> JsonResponse:
    """One trivial indexed query (a primary-key lookup), then a small JSON answer."""
    return JsonResponse({"ok": Division.objects.filter(pk=1).exists()})


MINIMAL_PATH = "/api/v1/bench/minimal/"
Routes = list[URLPattern | URLResolver]
api_v1: Routes = [
    *cast(Routes, project.api_v1),
    path("bench/minimal/", minimal, name="bench-minimal"),
]
urlpatterns: Routes = []
for pattern in cast(Routes, project.urlpatterns):
    if isinstance(pattern, URLResolver) and str(pattern.pattern) == "api/v1/":
        pattern = path("api/v1/", include(api_v1))
    urlpatterns.append(pattern)
