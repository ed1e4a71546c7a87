from django.urls import path

from dibiao.registry import views

app_name = "registry"
urlpatterns = [
    path("registry/products/", views.product_list, name="product-list"),
    path("registry/products/export/", views.product_export, name="product-export"),
    path("registry/products/new/", views.product_edit, name="product-create"),
    path("registry/products/<int:pk>/", views.product_detail, name="product-detail"),
    path("registry/products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("registry/products/<int:pk>/status/", views.product_status, name="product-status"),
    path(
        "registry/products/<int:pk>/upload/<str:what>/", views.product_upload, name="product-upload"
    ),
    path(
        "registry/products/<int:pk>/documents/<int:document_pk>/",
        views.product_document,
        name="product-document",
    ),
    path(
        "registry/products/<int:pk>/images/<int:image_pk>/",
        views.product_image,
        name="product-image",
    ),
    path(
        "registry/products/<int:pk>/regulations/new/",
        views.regulation_upload,
        name="regulation-upload",
    ),
    path(
        "registry/products/<int:pk>/regulations/<int:regulation_pk>/",
        views.regulation_download,
        name="regulation-download",
    ),
    path(
        "products/<int:pk>/regulation/",
        views.public_regulation_download,
        name="public-regulation-download",
    ),
    path("products/", views.public_product_list, name="public-product-list"),
    path("products/<int:pk>/", views.public_product_detail, name="public-product-detail"),
    path(
        "products/<int:pk>/images/<int:image_pk>/",
        views.public_product_image,
        name="public-product-image",
    ),
]
