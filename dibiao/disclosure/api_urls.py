from django.urls import path

from dibiao.disclosure import api

urlpatterns = [
    path("notices/", api.NoticeListApi.as_view(), name="api-notice-list"),
    path("notices/<int:pk>/", api.NoticeDetailApi.as_view(), name="api-notice-detail"),
    path("notices/<int:pk>/publish/", api.NoticePublishApi.as_view(), name="api-notice-publish"),
    path("notices/<int:pk>/withdraw/", api.NoticeWithdrawApi.as_view(), name="api-notice-withdraw"),
    path("notices/<int:pk>/settle/", api.NoticeSettleApi.as_view(), name="api-notice-settle"),
    path(
        "notices/<int:pk>/objections/",
        api.NoticeObjectionListApi.as_view(),
        name="api-notice-objections",
    ),
    path(
        "objections/<int:pk>/answer/", api.ObjectionAnswerApi.as_view(), name="api-objection-answer"
    ),
    path(
        "objections/<int:pk>/contact/",
        api.ObjectionContactApi.as_view(),
        name="api-objection-contact",
    ),
    path("public/notices/", api.PublicNoticeListApi.as_view(), name="api-public-notice-list"),
    path(
        "public/notices/<int:pk>/",
        api.PublicNoticeDetailApi.as_view(),
        name="api-public-notice-detail",
    ),
    path(
        "public/notices/<int:pk>/objections/",
        api.PublicObjectionCreateApi.as_view(),
        name="api-public-objection-create",
    ),
]
