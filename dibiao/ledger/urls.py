from django.urls import path

from dibiao.ledger import views

app_name = "ledger"
urlpatterns = [
    # Public, no login.
    path("", views.ledger_home, name="home"),
    path("entries/", views.entry_lookup, name="entry-lookup"),
    path("entries/<int:index>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:index>/leaf.bin", views.entry_leaf, name="entry-leaf"),
    path("checkpoint.txt", views.checkpoint_text, name="checkpoint-text"),
    path("key.txt", views.key_text, name="key-text"),
    # The security console.
    path("admin/", views.console, name="console"),
    path("admin/publish/", views.checkpoint_publish, name="checkpoint-publish"),
    path("admin/verify/", views.audit_run_request, name="audit-run-request"),
    path("admin/alerts/<int:pk>/acknowledge/", views.alert_acknowledge, name="alert-acknowledge"),
]
