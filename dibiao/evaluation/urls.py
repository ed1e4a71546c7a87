"""Pages of performance evaluation, under /evaluation/ (config/urls.py)."""

from django.urls import URLPattern

from dibiao.evaluation.views import indicators, reports, rounds, schemes

app_name = "evaluation"
urlpatterns: list[URLPattern] = [
    *indicators.urlpatterns,
    *schemes.urlpatterns,
    *rounds.urlpatterns,
    *reports.urlpatterns,
]
