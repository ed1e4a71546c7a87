"""API v1 routes of the trace app: each api module lists its own routes."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
