"""Paging for large lists: keyset pages that stay fast however deep, and a capped count for the rest.

A keyset page is read with `WHERE (key, id) < (last key, last id) ORDER BY key DESC, id DESC LIMIT n`, which an
index on (key, id) answers in milliseconds at any depth; the position travels in the `after` / `before` query
parameters. Counting a million rows on every page view costs more than the page, so counts stop at COUNT_CAP.
"""

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection, connections
from django.db.models import F, Q, QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 1_000


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, exact): the number of rows up to `cap`; exact is False when there are more."""
    n = queryset.order_by()[: cap + 1].count()
    return min(n, cap), n <= cap


def capped_count_sql(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[str, tuple]:
    """The SQL and parameters of the first `cap` + 1 row ids of `queryset`, for `count_of`: compiled once, the text
    can also name the count (say as a cache key) without the ORM compiling the query a second time."""
    sql, params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return sql, tuple(params)


def count_of(sql: str, params: tuple, *, using: str, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """As `capped_count`, for the query `capped_count_sql` gave."""
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) capped", params)  # noqa: S608 (SQL the ORM compiled)
        n = cursor.fetchone()[0]
    return min(n, cap), n <= cap


def _encode(value, pk: int) -> str:
    raw = f"{'~' if value is None else value.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str):
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        value, pk = raw.rsplit("|", 1)
        return (None if value == "~" else dt.datetime.fromisoformat(value)), int(pk)
    except (ValueError, UnicodeDecodeError, TypeError):
        return None


def keyset_position(token: str):
    """The (key, id) position an `after` / `before` token names, or None for a token that names none."""
    return _decode(token) if token else None


@dataclass
class KeysetPage:
    object_list: list
    has_next: bool
    has_previous: bool
    next_token: str = ""
    previous_token: str = ""
    count: int = 0
    count_exact: bool = True

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def keyset_page(
    queryset: QuerySet,
    *,
    key: str,
    descending: bool,
    after: str = "",
    before: str = "",
    size: int = 50,
    row: Callable | None = None,
):
    """A page of `queryset` ordered by (key, id) — key a nullable datetime column, NULLs first when descending
    (nulls last ascending) on every database. With `row`, each row read (say a `values()` dict) is made into
    `row(values)`, which has the attributes `key` and `pk`."""

    def order(reverse: bool):
        desc = descending != reverse
        if desc:
            return [F(key).desc(nulls_first=True), F("id").desc()]
        return [F(key).asc(nulls_last=True), F("id").asc()]

    table = queryset.model._meta.db_table
    qn = connection.ops.quote_name
    col, idcol = f"{qn(table)}.{qn(queryset.model._meta.get_field(key).column)}", f"{qn(table)}.{qn('id')}"

    def beyond(qs: QuerySet, position, forward: bool) -> QuerySet:
        value, pk = position
        desc = descending == forward  # the direction we walk in
        if value is None:
            # NULL keys come first in the descending walk and last in the ascending walk
            same = Q(**{f"{key}__isnull": True, "id__lt" if desc else "id__gt": pk})
            return qs.filter(same | Q(**{f"{key}__isnull": False}) if desc else same)
        # a row-value comparison, which an index on (key, id) answers as a range at any depth
        op = "<" if desc else ">"
        where = f"({col}, {idcol}) {op} (%s, %s)"
        if not desc:
            where = f"({where} OR {col} IS NULL)"
        db_value = queryset.model._meta.get_field(key).get_db_prep_value(value, connection)
        return qs.extra(where=[where], params=[db_value, pk])  # noqa: S610 (column names from the model, values bound)

    position_after, position_before = (_decode(after) if after else None), (_decode(before) if before else None)
    if position_before:
        rows = list(beyond(queryset, position_before, forward=False).order_by(*order(True))[: size + 1])
        has_previous = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_next = True
    else:
        qs = beyond(queryset, position_after, forward=True) if position_after else queryset
        rows = list(qs.order_by(*order(False))[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = bool(position_after)
    if row is not None:
        rows = [row(values) for values in rows]
    page = KeysetPage(rows, has_next, has_previous)
    if rows:
        page.next_token = _encode(getattr(rows[-1], key), rows[-1].pk)
        page.previous_token = _encode(getattr(rows[0], key), rows[0].pk)
    return page


class CappedPaginator(Paginator):
    """A Paginator whose count stops at COUNT_CAP rows, for sort orders that keyset paging does not serve."""

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list)[0]
