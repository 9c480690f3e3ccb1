"""One query run for each of many sets of values, in one statement that the database plans once.

A page that shows the first few rows of each of 35 days (or the rows overlapping each of 100 windows) would send one
query a day, or one statement of 35 sub-queries joined by UNION ALL. PostgreSQL plans each of those sub-queries on its
own, choosing among every index of the table each time: on the calendar, planning took ten times longer than running (10
ms against 1). `CompiledForEach` compiles the queryset once with stand-ins (`Marks`) and, on PostgreSQL, joins it
LATERALly onto the sets, unnested from an array a mark — one sub-query planned once and run per set, each with its own
ORDER BY and LIMIT. Other databases (SQLite has no LATERAL) get the UNION ALL, each sub-query bound with its own set, in
statements of at most UNION_MAX_SETS sub-queries: SQLite refuses a compound SELECT of more than 500 terms
(SQLITE_MAX_COMPOUND_SELECT), and "what is where" with something on its way in each of 50 services × 20 environments can
ask for 1,000 sets.
"""

import datetime as dt
import re

from django.db import connections
from django.db.models import QuerySet

from apps.core.compiled import CompiledQuery

UNION_MAX_SETS = 500  # sub-queries a UNION ALL statement holds (SQLite's default limit of a compound SELECT's terms)
_PLACEHOLDER = re.compile(r"%%|%s")
_CASTS = ((bool, "boolean"), (int, "bigint"), (dt.datetime, "timestamp with time zone"), (str, "text"))


def _cast(mark: object) -> str:
    for kind, sql in _CASTS:
        if isinstance(mark, kind):
            return sql
    raise TypeError(f"a stand-in of type {type(mark).__name__}: use an int, a str, a bool or an aware datetime")


class CompiledForEach:
    """`queryset` (rows as `values()` or `values_list()`, in its own order, with its own slice) compiled once with
    `marks` as `CompiledQuery`'s, read for each of several sets of the marks' values at once. `rows(sets)` gives
    `(i, *row)` for the rows of every set (values converted as Django converts them), `i` being the set's position in
    `sets`, in no order: a set's rows are the ones its slice selects in the queryset's order, but the statement does
    not keep that order (sort them). One statement on PostgreSQL; elsewhere one per UNION_MAX_SETS sets."""

    def __init__(self, queryset: QuerySet, *, marks: dict[str, object], using: str):
        if queryset._fields is None:
            raise ValueError("CompiledForEach reads values: use values() or values_list()")
        self.query = CompiledQuery(queryset, marks=marks, using=using)
        if self.query.compiler.has_extra_select:
            raise ValueError("CompiledForEach: no DISTINCT with ORDER BY columns of its own")
        self.using, self.names = using, list(marks)
        self.sql, self.marks = self.query.sql, self.query.marks
        self.postgresql = connections[using].vendor == "postgresql"
        if self.postgresql:
            self.lateral, self.params = self._lateral(marks)

    def _lateral(self, marks: dict[str, object]) -> tuple[str, list]:
        """The query's text with each mark's placeholder replaced by its column of the unnested sets, and the parameters
        left in it (those of no mark)."""
        slot_of = {i: n for n, name in enumerate(self.names) for i in self.marks.slots[name]}
        params, counter = [], iter(range(len(self.marks.params)))

        def replace(match: re.Match) -> str:
            if match.group() == "%%":
                return "%%"
            i = next(counter)
            if i in slot_of:
                return f"v.m{slot_of[i]}"
            params.append(self.marks.params[i])
            return "%s"

        sql = _PLACEHOLDER.sub(replace, self.sql)
        if next(counter, None) is not None:
            raise ValueError("the query's text has fewer placeholders than parameters")
        self.casts = [_cast(marks[name]) for name in self.names]
        return sql, params

    def rows(self, sets: list[dict]) -> list[tuple]:
        """`(i, *row)` of each set's rows, in no order (`sets`: the marks' values, one dict each)."""
        if not sets:
            return []
        if self.postgresql:
            statements = [self._lateral_statement(sets)]
        else:
            chunks = range(0, len(sets), UNION_MAX_SETS)
            statements = [self._union_statement(sets[first : first + UNION_MAX_SETS], first) for first in chunks]
        rows = []
        with connections[self.using].cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
                rows.extend(cursor.fetchall())
        converted = self.query.converted([row[1:] for row in rows])  # Django's converters (SQLite: text to datetime)
        return [(row[0], *values) for row, values in zip(rows, converted, strict=True)]

    def _union_statement(self, sets: list[dict], first: int) -> tuple[str, list]:
        """A sub-query a set, joined by UNION ALL; `first`: the position of the first of `sets` among all the sets."""
        sql = " UNION ALL ".join([f"SELECT %s AS i, r.* FROM ({self.sql}) r"] * len(sets))  # noqa: S608 (the ORM's SQL)
        params = [p for i, values in enumerate(sets, first) for p in (i, *self.marks.bind(values))]
        return sql, params

    def _lateral_statement(self, sets: list[dict]) -> tuple[str, list]:
        """The sets as one array a mark (and their positions), unnested side by side: a statement of a constant text
        and as many parameters whatever the number of sets (a VALUES row a set made its text grow with them, and the
        driver parsed every one of its placeholders again on every read, its cache holding only short statements).
        Arrays of integers, booleans and datetimes go as array literals (`_array_text`), which the database casts."""
        adapt = connections[self.using].ops.adapt_datetimefield_value
        arrays = [_array_text(range(len(sets)))]
        for name in self.names:
            convert = adapt if name in self.marks.adapt else None
            values = [convert(s[name]) if convert else s[name] for s in sets]
            arrays.append(_array_text(values) or values)
        unnested = ", ".join(["%s::integer[]", *(f"%s::{cast}[]" for cast in self.casts)])
        columns = ", ".join(["i", *(f"m{n}" for n in range(len(self.names)))])
        sql = f"SELECT v.i, r.* FROM unnest({unnested}) AS v({columns}) CROSS JOIN LATERAL ({self.lateral}) r"  # noqa: S608
        return sql, [*arrays, *self.params]


def _array_text(values) -> str | None:
    """PostgreSQL's text of an array of integers, booleans, datetimes (ISO 8601, their offset kept) and nulls — none
    of which needs quoting —, or None for values of another type: the driver dumps a list element by element, each
    escaped by a regular expression, which cost more than the query it fed (a few hundred datetimes on the calendar)."""
    text = []
    for value in values:
        if value is None:
            text.append("NULL")
        elif isinstance(value, bool):
            text.append("t" if value else "f")
        elif isinstance(value, int | dt.datetime):
            text.append(value.isoformat() if isinstance(value, dt.datetime) else str(value))
        else:
            return None
    return "{" + ",".join(text) + "}"
