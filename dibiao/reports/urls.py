"""Pages of the dashboards and reports, under /reports/ (config/urls.py)."""

from django.urls import URLPattern

from dibiao.reports.views import dashboard, jobs

app_name = "reports"
urlpatterns: list[URLPattern] = [*dashboard.urlpatterns, *jobs.urlpatterns]
