from django.urls import path

from dibiao.projects import api

urlpatterns = [
    path("programs/", api.ProgramListApi.as_view(), name="api-program-list"),
    path("programs/<int:pk>/", api.ProgramDetailApi.as_view(), name="api-program-detail"),
    path(
        "programs/<int:pk>/transition/",
        api.ProgramTransitionApi.as_view(),
        name="api-program-transition",
    ),
    path("allocations/", api.AllocationListApi.as_view(), name="api-allocation-list"),
    path("allocations/<int:pk>/", api.AllocationDetailApi.as_view(), name="api-allocation-detail"),
    path(
        "allocations/<int:pk>/spending/",
        api.AllocationSpendingApi.as_view(),
        name="api-allocation-spending",
    ),
    path("contracts/", api.ContractListApi.as_view(), name="api-contract-list"),
    path("contracts/<int:pk>/", api.ContractDetailApi.as_view(), name="api-contract-detail"),
    path("contracts/<int:pk>/status/", api.ContractStatusApi.as_view(), name="api-contract-status"),
    path("fund-entries/", api.EntryListApi.as_view(), name="api-entry-list"),
    path("fund-entries/<int:pk>/", api.EntryDetailApi.as_view(), name="api-entry-detail"),
    path("fund-entries/<int:pk>/review/", api.EntryReviewApi.as_view(), name="api-entry-review"),
    path("fund-entries/<int:pk>/reverse/", api.EntryReverseApi.as_view(), name="api-entry-reverse"),
]
