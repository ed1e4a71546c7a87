"""API routes of the applications app. The program-level review routes live under
/api/v1/applications/programs/<id>/… so that they never collide with the projects app's own
/api/v1/programs/ routes."""

from django.urls import path

from dibiao.applications.api import applications as app_api
from dibiao.applications.api import reviews as review_api

PROGRAM = "applications/programs/<int:program_id>/"

urlpatterns = [
    path("applications/", app_api.ApplicationListApi.as_view(), name="api-application-list"),
    path(
        "applications/experts/", review_api.ExpertListApi.as_view(), name="api-application-experts"
    ),
    path(f"{PROGRAM}scheme/", review_api.SchemeApi.as_view(), name="api-review-scheme"),
    path(f"{PROGRAM}review/", review_api.ReviewProgressApi.as_view(), name="api-review-progress"),
    path(f"{PROGRAM}review/open/", review_api.ReviewOpenApi.as_view(), name="api-review-open"),
    path(f"{PROGRAM}review/close/", review_api.ReviewCloseApi.as_view(), name="api-review-close"),
    path(f"{PROGRAM}ranking/", review_api.RankingApi.as_view(), name="api-review-ranking"),
    path(
        "applications/<int:pk>/",
        app_api.ApplicationDetailApi.as_view(),
        name="api-application-detail",
    ),
    *[
        path(
            f"applications/<int:pk>/{step}/",
            app_api.step_view(step),
            name=f"api-application-{step}",
        )
        for step in app_api.STEPS
    ],
    path(
        "applications/<int:pk>/decide/",
        app_api.ApplicationDecideApi.as_view(),
        name="api-application-decide",
    ),
    path("reviews/", review_api.AssignmentListApi.as_view(), name="api-review-list"),
    path("reviews/<int:pk>/", review_api.AssignmentDetailApi.as_view(), name="api-review-detail"),
    path("reviews/<int:pk>/scores/", review_api.ScoreSubmitApi.as_view(), name="api-review-scores"),
    path("reviews/<int:pk>/recuse/", review_api.RecuseApi.as_view(), name="api-review-recuse"),
]
