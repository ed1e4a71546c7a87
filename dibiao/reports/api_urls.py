"""The reports API under /api/v1/ (config/urls.py)."""

from django.urls import URLPattern

from dibiao.reports.api import jobs

urlpatterns: list[URLPattern] = [*jobs.urlpatterns]
