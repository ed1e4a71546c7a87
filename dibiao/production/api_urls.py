"""API v1 routes of the production app: each api module lists its own routes."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []

# Production logs, restriction lists, training.
from dibiao.production.api import logs, restrictions, training  # noqa: E402

urlpatterns += logs.urlpatterns + restrictions.urlpatterns + training.urlpatterns

# Quality tests and grading.
from dibiao.production.api import grading as grading_api  # noqa: E402
from dibiao.production.api import test_reports as report_api  # noqa: E402

urlpatterns += report_api.urlpatterns + grading_api.urlpatterns
