from django.urls import path

from dibiao.archive import views

app_name = "archive"
urlpatterns = [
    path("", views.document_list, name="document-list"),
    path("products/<int:pk>/", views.product_archive, name="product-archive"),
    path("products/<int:pk>/zip/", views.product_archive_zip, name="product-zip"),
    path("attach/<str:target_type>/<int:target_id>/", views.target_attach, name="target-attach"),
    path("<int:pk>/download/", views.document_download, name="document-download"),
    path("<int:pk>/withdraw/", views.document_withdraw, name="document-withdraw"),
]
