"""The reports API under /api/v1/ (config/urls.py)."""

from django.urls import URLPattern

from dibiao.reports.api import dashboard, jobs

urlpatterns: list[URLPattern] = [*dashboard.urlpatterns, *jobs.urlpatterns]
