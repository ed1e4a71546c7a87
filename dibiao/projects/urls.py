from django.urls import path

from dibiao.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.program_list, name="program-list"),
    path("new/", views.program_create, name="program-create"),
    path("<int:pk>/", views.program_detail, name="program-detail"),
    path("<int:pk>/edit/", views.program_edit, name="program-edit"),
    path("<int:pk>/transition/", views.program_transition, name="program-transition"),
    path("<int:pk>/export/", views.program_export, name="program-export"),
    path("<int:pk>/allocations/new/", views.allocation_create, name="allocation-create"),
    path("allocations/<int:pk>/", views.allocation_detail, name="allocation-detail"),
    path("allocations/<int:pk>/amount/", views.allocation_amount, name="allocation-amount"),
    path(
        "allocations/<int:pk>/disbursement/",
        views.allocation_disbursement,
        name="allocation-disbursement",
    ),
    path(
        "allocations/<int:pk>/responsible/",
        views.allocation_responsible,
        name="allocation-responsible",
    ),
    path("allocations/<int:pk>/export/", views.allocation_export, name="allocation-export"),
    path("allocations/<int:pk>/contracts/new/", views.contract_create, name="contract-create"),
    path("allocations/<int:pk>/entries/new/", views.entry_create, name="entry-create"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract-detail"),
    path("contracts/<int:pk>/status/", views.contract_status, name="contract-status"),
    path("entries/<int:pk>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:pk>/review/", views.entry_review, name="entry-review"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry-reverse"),
]
