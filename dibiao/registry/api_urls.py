from django.urls import path

from dibiao.registry import api

urlpatterns = [
    path("products/", api.ProductListApi.as_view(), name="api-product-list"),
    path("products/<int:pk>/", api.ProductDetailApi.as_view(), name="api-product-detail"),
    path("products/<int:pk>/status/", api.ProductStatusApi.as_view(), name="api-product-status"),
    path(
        "products/<int:pk>/regulations/",
        api.RegulationListApi.as_view(),
        name="api-product-regulations",
    ),
]
