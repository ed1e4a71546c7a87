from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("", include("dibiao.accounts.api_urls")),
    path("", include("dibiao.registry.api_urls")),
    path("", include("dibiao.projects.api_urls")),
    path("", include("dibiao.applications.api_urls")),
    path("", include("dibiao.archive.api_urls")),
    path("", include("dibiao.disclosure.api_urls")),
    path("", include("dibiao.dispatch.api_urls")),
    path("", include("dibiao.producers.api_urls")),
    path("", include("dibiao.production.api_urls")),
    path("", include("dibiao.trace.api_urls")),
    path("", include("dibiao.brand.api_urls")),
    path("", include("dibiao.evaluation.api_urls")),
    path("", include("dibiao.gimap.api_urls")),
    path("", include("dibiao.ledger.api_urls")),
    path("", include("dibiao.reports.api_urls")),
]

urlpatterns = [
    path("", include("dibiao.portal.urls")),
    path("accounts/", include("dibiao.accounts.urls")),
    path("", include("dibiao.registry.urls")),
    path("projects/", include("dibiao.projects.urls")),
    path("applications/", include("dibiao.applications.urls")),
    path("archive/", include("dibiao.archive.urls")),
    path("", include("dibiao.disclosure.urls")),
    path("dispatch/", include("dibiao.dispatch.urls")),
    path("producers/", include("dibiao.producers.urls")),
    path("production/", include("dibiao.production.urls")),
    path("trace/", include("dibiao.trace.urls")),
    path("", include("dibiao.trace.public_urls")),
    path("brand/", include("dibiao.brand.urls")),
    path("evaluation/", include("dibiao.evaluation.urls")),
    path("ledger/", include("dibiao.ledger.urls")),
    path("reports/", include("dibiao.reports.urls")),
    path("", include("dibiao.gimap.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
