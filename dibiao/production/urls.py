"""Pages of the production app: each views module lists its own routes."""

from django.urls import URLPattern, URLResolver

app_name = "production"
urlpatterns: list[URLPattern | URLResolver] = []

# Production logs, restriction lists, training.
from dibiao.production.views import logs, restrictions, training  # noqa: E402

urlpatterns += logs.urlpatterns + restrictions.urlpatterns + training.urlpatterns

# Quality tests and grading.
from dibiao.production.views import grading as grading_views  # noqa: E402
from dibiao.production.views import test_reports as report_views  # noqa: E402

urlpatterns += report_views.urlpatterns + grading_views.urlpatterns
