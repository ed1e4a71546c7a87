"""Staff pages of the trace app (mounted at /trace/): each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

from dibiao.trace.views import alerts, reconciliation

app_name = "trace"
urlpatterns: list[URLPattern | URLResolver] = []

# 承诺达标合格证 and the trace exports (EPCIS 2.0, NY/T 4712-2025).
from dibiao.trace.views import certificates as certificate_views  # noqa: E402
from dibiao.trace.views import exports as export_views  # noqa: E402

urlpatterns += certificate_views.urlpatterns + export_views.urlpatterns
urlpatterns += alerts.urlpatterns
urlpatterns += reconciliation.urlpatterns

# Batches and trace events.
from dibiao.trace.views import batches as batch_views  # noqa: E402
from dibiao.trace.views import events as event_views  # noqa: E402

urlpatterns += batch_views.urlpatterns + event_views.urlpatterns

# Label codes: issuances, binding, voiding, label files.
from dibiao.trace.views import codes as code_views  # noqa: E402

urlpatterns += code_views.urlpatterns
