from django.contrib.auth import views as auth_views
from django.urls import path

from dibiao.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password-change"),
    path("users/", views.user_list, name="user-list"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("roles/", views.role_list, name="role-list"),
    path("roles/<int:pk>/", views.role_edit, name="role-edit"),
    path("roles/revoke/<int:pk>/", views.role_revoke, name="role-revoke"),
    path("roles/unlock/", views.account_unlock, name="account-unlock"),
    path("security-policy/", views.security_policy, name="security-policy"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/new/", views.organization_edit, name="organization-create"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization-edit"),
]
