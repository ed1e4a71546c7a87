"""Public pages of the trace app, mounted at the site root: the scan page /t/<code>, the
certificate page and GS1 Digital Link URLs. Each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

from dibiao.trace.views import scan

app_name = "trace-public"
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += scan.urlpatterns

# The public page of a 承诺达标合格证 (its QR code) and GS1 Digital Link URLs.
from dibiao.trace.views import certificates as certificate_views  # noqa: E402
from dibiao.trace.views import digital_link  # noqa: E402

urlpatterns += certificate_views.public_urlpatterns + digital_link.public_urlpatterns
