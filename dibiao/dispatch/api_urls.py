from django.urls import path

from dibiao.dispatch.api import reports, supervision

urlpatterns = [
    path("dispatch-reports/", reports.ReportListApi.as_view(), name="api-dispatch-report-list"),
    path(
        "dispatch-reports/overdue/",
        reports.OverdueApi.as_view(),
        name="api-dispatch-report-overdue",
    ),
    path("dispatch-reports/table/", reports.TableApi.as_view(), name="api-dispatch-table"),
    path(
        "dispatch-reports/<int:pk>/",
        reports.ReportDetailApi.as_view(),
        name="api-dispatch-report-detail",
    ),
    path(
        "dispatch-reports/<int:pk>/submit/",
        reports.ReportSubmitApi.as_view(),
        name="api-dispatch-report-submit",
    ),
    path(
        "dispatch-reports/<int:pk>/return/",
        reports.ReportReturnApi.as_view(),
        name="api-dispatch-report-return",
    ),
    path("inspections/", supervision.InspectionListApi.as_view(), name="api-inspection-list"),
    path(
        "inspections/<int:pk>/",
        supervision.InspectionDetailApi.as_view(),
        name="api-inspection-detail",
    ),
    path("criticism-notices/", supervision.NoticeListApi.as_view(), name="api-notice-list"),
    path(
        "criticism-notices/<int:pk>/",
        supervision.NoticeDetailApi.as_view(),
        name="api-notice-detail",
    ),
    path(
        "criticism-notices/<int:pk>/rectify/",
        supervision.NoticeRectifyApi.as_view(),
        name="api-notice-rectify",
    ),
    path(
        "criticism-notices/<int:pk>/close/",
        supervision.NoticeCloseApi.as_view(),
        name="api-notice-close",
    ),
    path(
        "criticism-notices/<int:pk>/return/",
        supervision.NoticeReturnApi.as_view(),
        name="api-notice-return",
    ),
]
