"""API v1 routes of the trace app: each api module lists its own routes."""

from django.urls import URLPattern, URLResolver

from dibiao.trace.api import alerts, trace

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += trace.urlpatterns
urlpatterns += alerts.urlpatterns

# 承诺达标合格证 and the trace exports (EPCIS 2.0, NY/T 4712-2025).
from dibiao.trace.api import certificates as certificate_api  # noqa: E402
from dibiao.trace.api import exports as export_api  # noqa: E402

urlpatterns += certificate_api.urlpatterns + export_api.urlpatterns

# Batches and trace events.
from dibiao.trace.api import batches as batch_api  # noqa: E402
from dibiao.trace.api import events as event_api  # noqa: E402

urlpatterns += batch_api.urlpatterns + event_api.urlpatterns

# Label codes: issuances, segments, binding, voiding, label jobs.
from dibiao.trace.api import codes as code_api  # noqa: E402

urlpatterns += code_api.urlpatterns
