"""Pages of the brand app, under /brand/ (config/urls.py)."""

from django.urls import URLPattern

from dibiao.brand.views import exhibitions, reports, stories, videos

app_name = "brand"
urlpatterns: list[URLPattern] = [
    *reports.urlpatterns,
    *videos.urlpatterns,
    *exhibitions.urlpatterns,
    *stories.urlpatterns,
]
