from django.urls import path

from dibiao.disclosure import views

app_name = "disclosure"
urlpatterns = [
    path("disclosure/", views.public_notice_list, name="public-notice-list"),
    path("disclosure/archive/", views.public_notice_archive, name="public-notice-archive"),
    path("disclosure/<int:pk>/", views.public_notice_detail, name="public-notice-detail"),
    path(
        "disclosure/receipts/<str:receipt>/",
        views.public_objection_receipt,
        name="public-objection-receipt",
    ),
    path("disclosure/manage/", views.notice_list, name="notice-list"),
    path("disclosure/manage/new/", views.notice_edit, name="notice-create"),
    path("disclosure/manage/<int:pk>/", views.notice_detail, name="notice-detail"),
    path("disclosure/manage/<int:pk>/edit/", views.notice_edit, name="notice-edit"),
    path("disclosure/manage/<int:pk>/publish/", views.notice_publish, name="notice-publish"),
    path("disclosure/manage/<int:pk>/withdraw/", views.notice_withdraw, name="notice-withdraw"),
    path("disclosure/manage/<int:pk>/settle/", views.notice_settle, name="notice-settle"),
    path(
        "disclosure/manage/objections/<int:pk>/answer/",
        views.objection_answer,
        name="objection-answer",
    ),
    path(
        "disclosure/manage/objections/<int:pk>/contact/",
        views.objection_contact,
        name="objection-contact",
    ),
]
