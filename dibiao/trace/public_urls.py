"""Public pages of the trace app, mounted at the site root: the scan page /t/<code>, the
certificate page and GS1 Digital Link URLs. Each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

app_name = "trace-public"
urlpatterns: list[URLPattern | URLResolver] = []
