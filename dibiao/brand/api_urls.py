"""API v1 routes of the brand app (under /api/v1/brand/): each api module lists its own."""

from django.urls import URLPattern

from dibiao.brand.api import exhibitions, reports, stories, videos

urlpatterns: list[URLPattern] = [
    *reports.urlpatterns,
    *videos.urlpatterns,
    *exhibitions.urlpatterns,
    *stories.urlpatterns,
]
