from django.urls import path

from dibiao.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_list, name="audit-list"),
]
