"""API pagination. Its own module because DRF reads DEFAULT_PAGINATION_CLASS while importing
its generic views: a module that imports those views cannot also be named in that setting."""

from rest_framework.pagination import PageNumberPagination

from dibiao.core.paging import DeferredJoinPaginator


class Pagination(PageNumberPagination):
    django_paginator_class = DeferredJoinPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200
