from django.urls import path

from dibiao.dispatch.views import reports, supervision

app_name = "dispatch"
urlpatterns = [
    path("", reports.home, name="home"),
    path("reports/", reports.report_list, name="report-list"),
    path("reports/<int:pk>/", reports.report_detail, name="report-detail"),
    path("reports/<int:pk>/submit/", reports.report_submit, name="report-submit"),
    path("reports/<int:pk>/return/", reports.report_return, name="report-return"),
    path(
        "allocations/<int:allocation_pk>/<str:kind>/<str:period>/",
        reports.report_edit,
        name="report-edit",
    ),
    path("table/", reports.table_export, name="table-export"),
    path("supervision/", supervision.supervision_home, name="supervision"),
    path("supervision/visits/new/", supervision.inspection_create, name="inspection-create"),
    path("supervision/visits/<int:pk>/", supervision.inspection_detail, name="inspection-detail"),
    path("supervision/notices/new/", supervision.notice_create, name="notice-create"),
    path("supervision/notices/<int:pk>/", supervision.notice_detail, name="notice-detail"),
    path(
        "supervision/notices/<int:pk>/<str:action>/",
        supervision.notice_action,
        name="notice-action",
    ),
]
