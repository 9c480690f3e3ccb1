"""Pagination for every API list: page numbers with a bounded page size, and keyset (cursor) pages for the large,
growing lists (deployments, their records, the audit trail)."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class NewestFirstCursorPagination(CursorPagination):
    """Keyset pagination on the primary key, newest first: deep pages cost the same as the first, and rows never
    repeat. A cursor the client mangled is bad input (400), not a missing page."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:  # DRF says 404; a cursor the client mangled is bad input
            raise exceptions.ValidationError({"cursor": [str(self.invalid_cursor_message)]}) from exc


class OldestFirstCursorPagination(NewestFirstCursorPagination):
    """The records of one thing (a deployment's events, checks, feedback …) in the order they happened."""

    ordering = "id"
