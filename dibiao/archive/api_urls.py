from django.urls import path

from dibiao.archive import api

urlpatterns = [
    path("archive/", api.ArchiveListApi.as_view(), name="api-archive-list"),
    path("archive/<int:pk>/", api.ArchiveDetailApi.as_view(), name="api-archive-detail"),
    path(
        "archive/<int:pk>/download/", api.ArchiveDownloadApi.as_view(), name="api-archive-download"
    ),
    path(
        "archive/<int:pk>/withdraw/", api.ArchiveWithdrawApi.as_view(), name="api-archive-withdraw"
    ),
]
