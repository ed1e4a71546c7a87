from django.urls import path

from dibiao.accounts import api

urlpatterns = [
    path("auth/token/", api.TokenObtainApi.as_view(), name="api-token"),
    path("divisions/", api.DivisionListApi.as_view(), name="api-division-list"),
    path("divisions/<str:code>/", api.DivisionDetailApi.as_view(), name="api-division-detail"),
    path("organizations/", api.OrganizationListApi.as_view(), name="api-organization-list"),
    path(
        "organizations/<int:pk>/",
        api.OrganizationDetailApi.as_view(),
        name="api-organization-detail",
    ),
]
