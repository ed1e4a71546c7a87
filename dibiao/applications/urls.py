from django.urls import path

from dibiao.applications.views import applications as views
from dibiao.applications.views import reviews

app_name = "applications"
urlpatterns = [
    path("", views.application_list, name="application-list"),
    path("export/", views.application_export, name="application-export"),
    path("new/", views.application_create, name="application-create"),
    path("<int:pk>/", views.application_detail, name="application-detail"),
    path("<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("<int:pk>/step/", views.application_step, name="application-step"),
    path("<int:pk>/decide/", views.application_decide, name="application-decide"),
    path("programs/<int:program_id>/review/", reviews.review_console, name="review-console"),
    path("programs/<int:program_id>/review/open/", reviews.review_open, name="review-open"),
    path("programs/<int:program_id>/review/close/", reviews.review_close, name="review-close"),
    path("programs/<int:program_id>/scheme/", reviews.review_scheme, name="review-scheme"),
    path("programs/<int:program_id>/ranking/", reviews.review_ranking, name="review-ranking"),
    path("reviews/", reviews.review_list, name="review-list"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review-detail"),
    path("reviews/<int:pk>/recuse/", reviews.review_recuse, name="review-recuse"),
]
