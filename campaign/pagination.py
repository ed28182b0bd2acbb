"""Bounded pages (SPEC §7): `page_size` up to 200, default 50; time-ordered lists use a cursor.

A malformed `cursor` or `page_size` is a 400 naming it (DRF alone answers 404 for the one and ignores the other).
"""

import datetime as dt
from base64 import b64decode
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination
from rest_framework.request import Request

from campaign.errors import Invalid
from campaign.fields import instant_in_range
from campaign.params import read_int


class _PageSize:
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        try:
            size = read_int(raw)
        except ValueError as exc:
            raise Invalid.field(self.page_size_query_param, str(exc)) from None
        if size < 1:
            raise Invalid.field(self.page_size_query_param, _("应为正整数。"))
        return min(size, self.max_page_size)  # documented as "at most 200": a larger ask gets 200


class CursorPage(_PageSize, CursorPagination):
    """Flat cost however deep: WHERE (ordering key) < cursor LIMIT n. Views set `ordering` on the class."""

    ordering: str | tuple[str, ...] = "-id"

    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: Any = None) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        invalid = Invalid.field(self.cursor_query_param, _("无效的分页游标。"))
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:
                b64decode(encoded, validate=True)  # DRF's decoding skips stray characters: "%%%" would be page 1
            cursor = super().decode_cursor(request)
        except (NotFound, ValueError):
            raise invalid from None
        if cursor is not None and cursor.position is not None:
            # The position goes into the WHERE clause: a forged one must not reach the database as a bad value.
            ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
            field = self._model._meta.get_field(ordering.lstrip("-"))
            try:
                value = field.to_python(cursor.position)
            except (ValidationError, ValueError, OverflowError):
                raise invalid from None
            if isinstance(value, dt.datetime) and not instant_in_range(value):  # year 1 overflows once made aware
                raise invalid
        return cursor


class IdCursorPage(CursorPage):
    ordering = "id"


class NumberPage(_PageSize, PageNumberPagination):
    """For small, bounded sets (units in scope, `near` within a radius) where a count is cheap."""
