"""Bounded pages (SPEC §7): `page_size` up to 200, default 50; time-ordered lists use a cursor."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class CursorPage(CursorPagination):
    """Flat cost however deep: WHERE (ordering key) < cursor LIMIT n. Views set `ordering` on the class."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


class IdCursorPage(CursorPage):
    ordering = "id"


class NumberPage(PageNumberPagination):
    """For small, bounded sets (units in scope, `near` within a radius) where a count is cheap."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
