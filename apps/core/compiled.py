"""Model querysets compiled once per process: the SQL text is made from the queryset once, and each request runs it
with its own values and reads the rows into the same model instances (`select_related` and annotations included);
several such querysets read in one statement (`CompiledUnion`, `CompiledCrossJoin`); and inserts of model rows, their
text made once per process, several models' in one statement on PostgreSQL (`InsertsTogether`). Every one of them
binds each call's values in the same way (`Marks`).

On a page that reads one row, Django building and compiling a query with joins and `EXISTS` annotations took longer
than PostgreSQL took to run it (6 ms against well under 1 ms for a deployment's page). The rows are read on every
call: only the text is kept, so nothing another process changes is cached.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable

from django.db import connections, router
from django.db.models import AutoField, Model, QuerySet
from django.db.models.query import get_related_populators

from apps.core.binding import db_values, field_binders
from apps.core.db import prepared_cursor


class Marks:
    """Where the stand-ins of `marks` (name → a stand-in value) stand among the `params` of a compiled text, so that
    each call puts its own values there. A datetime or a date goes to the database as the backend adapts it (SQLite:
    as text), so its stand-in is looked for adapted alike; an integer is found also where the backend typed it
    (psycopg's `Int4`, for an IntegerField's value on PostgreSQL), and each call's value is typed alike there. Each
    stand-in must be found at least once."""

    def __init__(self, params, marks: dict[str, object], *, using: str):
        ops = connections[using].ops
        self.params = tuple(params)
        self.adapt = {
            name: ops.adapt_datetimefield_value if isinstance(mark, dt.datetime) else ops.adapt_datefield_value
            for name, mark in marks.items()
            if isinstance(mark, dt.date)  # a datetime is a date too
        }
        self.slots = {}
        for name, mark in marks.items():
            mark = self.adapt[name](mark) if name in self.adapt else mark
            self.slots[name] = [i for i, p in enumerate(self.params) if _same(p, mark)]
        if not all(self.slots.values()):
            raise ValueError(f"a mark was not found in the query's parameters: {self.slots}")

    def bind(self, values: dict) -> list:
        """The parameters with each mark's value from `values` in its places."""
        params = list(self.params)
        for name, slots in self.slots.items():
            value = self.adapt[name](values[name]) if name in self.adapt else values[name]
            for i in slots:
                typed = type(self.params[i])
                params[i] = typed(value) if typed is not int and isinstance(value, int) else value
        return params


def _same(param, mark) -> bool:
    """Whether `param` is the stand-in `mark`: of its type (an integer: of a subclass of int too, not a bool)."""
    if type(mark) is int:
        return isinstance(param, int) and not isinstance(param, bool) and param == mark
    return type(param) is type(mark) and param == mark


class CompiledQuery:
    """`queryset` compiled once, with `marks` (name → a stand-in value used in its filters in place of the value each
    call gives: an int, a str or an aware datetime) as its parameters. A stand-in must appear in the parameters only
    where a value goes: each must be found at least once, and no other parameter may equal one. Plain `filter()`s,
    `select_related`, annotations and `values_list()`; no prefetches, known related objects (a related manager's
    queryset) or deferred fields."""

    def __init__(
        self, queryset: QuerySet, *, marks: dict[str, object], using: str | None = None, prepare: bool = False
    ):
        """With `prepare`, PostgreSQL prepares the text on each connection (`apps.core.db.prepared_cursor`): only for
        a query whose best plan is the same whatever the values (a look-up by primary key)."""
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("CompiledQuery reads rows of one query: no prefetch or known related objects")
        self.model = queryset.model
        self.using = using or router.db_for_read(self.model)
        self.prepare = prepare
        compiler = queryset.query.get_compiler(using=self.using)
        sql, params = compiler.as_sql()
        self.sql, self.params = sql, tuple(params)
        self.marks = Marks(params, marks, using=self.using)
        self.compiler = compiler
        # what results_iter works out on every call: the converters of the columns, made once
        columns = [column[0] for column in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(columns)
        self.composite = compiler.has_composite_fields(columns)
        self.values = queryset._fields is not None or compiler.klass_info is None
        if self.values:
            return
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.populators = get_related_populators(klass_info, select, self.using)

    def rows(self, **values) -> list:
        """The rows for these values of the marks, as tuples with Django's converters applied."""
        with _cursor(self.using, self.prepare) as cursor:
            cursor.execute(self.sql, self.marks.bind(values))
            rows = cursor.fetchall()
        if self.compiler.has_extra_select:  # the ORDER BY's columns a DISTINCT adds, which Django drops too
            rows = [row[: self.compiler.col_count] for row in rows]
        return self.converted(rows)

    def converted(self, rows: list) -> list:
        """These rows of the query with Django's converters applied (as tuples, as `results_iter` gives them)."""
        if self.composite:
            return list(self.compiler.results_iter(results=[rows], tuple_expected=True))
        if not self.converters:
            return [tuple(row) for row in rows]
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]

    def fetch(self, **values) -> list[Model]:
        """The rows for these values of the marks, as model instances in the query's order."""
        if self.values:
            raise TypeError("a values_list() query: read its rows()")
        return self.instances(self.rows(**values))

    def instances(self, rows: Iterable) -> list[Model]:
        """What Django's ModelIterable makes of these (converted) rows."""
        result = []
        from_db, db, init_list, start, end = self.model.from_db, self.using, self.init_list, self.start, self.end
        for row in rows:
            obj = from_db(db, init_list, row[start:end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, pos in self.annotations:
                setattr(obj, name, row[pos])
            result.append(obj)
        return result


def _cursor(using: str, prepare: bool):
    connection = connections[using]
    return prepared_cursor(connection) if prepare else connection.cursor()


def _parts(querysets, using: str) -> list[CompiledQuery]:
    parts = [CompiledQuery(queryset, marks={}, using=using) for queryset in querysets]
    if any(part.compiler.has_extra_select for part in parts):
        raise ValueError("queries read together: no DISTINCT with ORDER BY columns of its own")
    return parts


class CompiledUnion:
    """Querysets, of one model or of several, read in one statement (one round trip instead of one each), compiled
    once, with `marks` as `CompiledQuery`'s across all of them (each found in one at least). Each query is joined
    onto a row of its own (`(SELECT 0 AS i UNION ALL SELECT 1 …) t LEFT JOIN (query 0) r0 ON t.i = 0 …`), so its
    columns keep their types on every database (a UNION ALL padded with NULLs would give PostgreSQL untyped columns
    to match); a column of 1 before each query's own tells its rows from the empty row of a query that found none.
    `fetch` gives each query's rows as its `CompiledQuery` reads them (instances, or tuples for `values_list()`)."""

    def __init__(self, querysets: list[QuerySet], *, marks: dict[str, object], using: str, prepare: bool = False):
        """`prepare`: as `CompiledQuery`'s."""
        self.using, self.prepare = using, prepare
        self.parts = _parts(querysets, using)
        tags = " UNION ALL ".join(f"SELECT {i}{' AS i' if i == 0 else ''}" for i in range(len(self.parts)))
        joins = "".join(
            f" LEFT JOIN (SELECT 1 AS found, q.* FROM ({part.sql}) q) r{i} ON t.i = {i}"  # noqa: S608
            for i, part in enumerate(self.parts)
        )
        self.sql = f"SELECT * FROM ({tags}) t{joins}"  # noqa: S608 (the ORM's compiled SQL)
        self.marks = Marks([p for part in self.parts for p in part.params], marks, using=using)
        widths = [1 + len(part.compiler.select) for part in self.parts]
        self.columns = [(1 + sum(widths[:i]), 1 + sum(widths[: i + 1])) for i in range(len(widths))]

    def fetch(self, **values) -> list[list]:
        """For these values of the marks, each query's rows, in the order of the querysets."""
        with _cursor(self.using, self.prepare) as cursor:
            cursor.execute(self.sql, self.marks.bind(values))
            rows = cursor.fetchall()
        result = []
        for i, (part, (start, end)) in enumerate(zip(self.parts, self.columns, strict=True)):
            converted = part.converted([row[start + 1 : end] for row in rows if row[0] == i and row[start] is not None])
            result.append(converted if part.values else part.instances(converted))
        return result


class CompiledCrossJoin:
    """One-row querysets (aggregates, as `values()`) read side by side in one statement, compiled once, with `marks`
    as `CompiledUnion`'s: `row` gives their columns by name (no converters: counts and sums as the database gives
    them)."""

    def __init__(
        self, querysets: list[QuerySet], *, marks: dict[str, object], using: str, also: str = "", prepare: bool = False
    ):
        """`also`: more columns of the row, as SQL without parameters (e.g. `nextval(…) AS next_id`): evaluated once,
        the joined row being one row. `prepare` as `CompiledQuery`'s."""
        self.using, self.prepare = using, prepare
        parts = _parts(querysets, using)
        joined = " CROSS JOIN ".join(f"({part.sql}) r{i}" for i, part in enumerate(parts))
        self.sql = f"SELECT *{', ' + also if also else ''} FROM {joined}"  # noqa: S608 (the ORM's compiled SQL)
        self.marks = Marks([p for part in parts for p in part.params], marks, using=using)

    def row(self, **values) -> dict:
        with _cursor(self.using, self.prepare) as cursor:
            cursor.execute(self.sql, self.marks.bind(values))
            return dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))


class CompiledInsert:
    """An INSERT of `rows` rows of `model`, with their ids or without (the database gives them), its text made once:
    what `bulk_create` does for such rows (defaults and `auto_now_add` filled in, related ids taken from related
    objects, the columns the database returns read back), without building and compiling an InsertQuery each time.
    Columns with their own placeholder are not supported; a value that is an expression is refused by `insert`."""

    def __init__(self, model: type[Model], *, with_pk: bool, rows: int, using: str | None = None):
        opts = model._meta
        self.using = using or router.db_for_write(model)
        connection = connections[self.using]
        fields = [f for f in opts.concrete_fields if not f.generated]
        if not with_pk:
            fields = [f for f in fields if not isinstance(f, AutoField)]
        if not fields or any(hasattr(f, "get_placeholder") for f in fields):
            raise ValueError(f"{opts.label}: its insert needs Django's compiler")
        self.fields, self.with_pk = fields, with_pk
        self.binders = field_binders(fields)
        returning = opts.db_returning_fields if connection.features.can_return_rows_from_bulk_insert else []
        self.returning = [
            (field, [*connection.ops.get_db_converters(field.cached_col), *field.get_db_converters(connection)])
            for field in returning
        ]
        q = connection.ops.quote_name
        row = f"({', '.join(['%s'] * len(fields))})"
        columns = ", ".join(q(f.column) for f in fields)
        sql = f"INSERT INTO {q(opts.db_table)} ({columns}) VALUES {', '.join([row] * rows)}"  # noqa: S608
        if returning:
            sql += " " + connection.ops.return_insert_columns(returning)[0]
        self.sql = sql

    def insert(self, objs: list[Model]) -> None:
        """Insert `objs` (as many as the text's rows): their ids, if the database gives them, are set on them."""
        self.write(objs, self.bind(objs))

    def write(self, objs: list[Model], params: list) -> None:
        """Insert `objs`, bound as `params`."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            returned = cursor.fetchall() if self.returning else [()] * len(objs)
        self.inserted(objs, returned)

    def bind(self, objs: list[Model]) -> list:
        """The parameters of the text for `objs`."""
        connection = connections[self.using]
        params = []
        for obj in objs:
            obj._prepare_related_fields_for_save(operation_name="bulk_create")
            params += db_values(self.binders, obj, connection)
        return params

    def inserted(self, objs: list[Model], returned: list) -> None:
        """`objs` as written: the columns the database returned (a tuple for each) set on them."""
        connection = connections[self.using]
        for obj, values in zip(objs, returned, strict=True):
            for (field, converters), value in zip(self.returning, values, strict=True):
                for converter in converters:
                    value = converter(value, field.cached_col, connection)
                if not (self.with_pk and field.primary_key):
                    setattr(obj, field.attname, value)
            obj._state.adding = False
            obj._state.db = self.using


INSERT_ROWS = 10


@functools.cache
def _compiled_insert(model: type[Model], with_pk: bool, rows: int, using: str) -> CompiledInsert:
    return CompiledInsert(model, with_pk=with_pk, rows=rows, using=using)


def _insert_for(objs: list[Model]) -> CompiledInsert | None:
    """The compiled insert of these new rows of one model, or None where `bulk_create` must write them: more than
    INSERT_ROWS, some with an id and others not, or a value that is an expression (a database default)."""
    if len(objs) > INSERT_ROWS:
        return None
    with_pk = objs[0]._is_pk_set()
    if any(obj._is_pk_set() is not with_pk for obj in objs) or any(
        hasattr(value, "resolve_expression") for obj in objs for value in obj.__dict__.values()
    ):
        return None
    model = type(objs[0])
    return _compiled_insert(model, with_pk, len(objs), router.db_for_write(model))


def insert_rows(objs: list[Model]) -> list[Model]:
    """`Model.objects.bulk_create(objs)` for new rows of one model, by an insert compiled once per process (a text
    per number of rows, up to INSERT_ROWS); `bulk_create` itself where `_insert_for` says so."""
    if not objs:
        return objs
    insert = _insert_for(objs)
    if insert is None:
        return type(objs[0])._default_manager.bulk_create(objs)
    insert.insert(objs)
    return objs


@functools.cache
def _together_sql(inserts: tuple[CompiledInsert, ...]) -> str:
    """The inserts as WITH queries, the columns each returns read on a row of its own (as `CompiledUnion` reads its
    queries, so that each keeps its types)."""
    queries = ", ".join(f"i{k} AS ({insert.sql})" for k, insert in enumerate(inserts))
    tags = " UNION ALL ".join(f"SELECT {k}{' AS k' if k == 0 else ''}" for k in range(len(inserts)))
    joins = "".join(f" LEFT JOIN i{k} ON t.k = {k}" for k in range(len(inserts)))
    return f"WITH {queries} SELECT * FROM ({tags}) t{joins}"  # noqa: S608 (the compiled inserts' SQL)


class InsertsTogether:
    """New rows of several models (each list `add`ed of one model, in order) inserted in one statement and round
    trip at `run` on PostgreSQL: each INSERT a data-modifying WITH query (foreign keys are checked at the commit),
    the columns each returns read back together. Each list is bound when it is added (`auto_now_add` fields and
    defaults filled in then, as its own insert would), so a list added later may be made from it. Elsewhere, and
    for a list that `bulk_create` must write or whose rows do not return their id, each list is inserted when it is
    added (those waiting before it first). A statement given to `also` (an upsert of counts) goes with them as one
    more WITH query of their statement, or runs on its own when no list waits."""

    def __init__(self, *, using: str):
        self.using = using
        self.pending: list[tuple[CompiledInsert, list, list]] = []
        self.extra: list[tuple[str, list]] = []

    def also(self, sql: str, params: list) -> None:
        """Send `sql` (a data-modifying statement that returns nothing) with the lists waiting."""
        self.extra.append((sql, params))

    def add(self, objs: list[Model]) -> None:
        if not objs:
            return
        insert = _insert_for(objs)
        if (
            insert is None
            or insert.using != self.using
            or connections[self.using].vendor != "postgresql"
            or not any(field.primary_key for field, _ in insert.returning)
        ):
            self.run()
            insert_rows(objs)
            return
        self.pending.append((insert, objs, insert.bind(objs)))

    def run(self) -> None:
        """Insert the lists waiting, in one statement."""
        statement = self.take()
        if statement is None:
            return
        sql, params, written = statement
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            written(cursor.fetchall() if cursor.description else [])

    def take(self) -> tuple[str, list, Callable[[list], None]] | None:
        """The lists waiting as one statement, taken off the list, for a caller that sends it with others in one round
        trip: its text, its parameters and a function to give the rows it returned (None when no list waits: the
        statements given to `also` are then sent on their own)."""
        pending, self.pending = self.pending, []
        extra, self.extra = self.extra, []
        if not pending:
            with connections[self.using].cursor() as cursor:
                for sql, params in extra:
                    cursor.execute(sql, params)
            return None
        if len(pending) == 1:
            insert, objs, params = pending[0]
            sql, written = (
                insert.sql,
                lambda rows: insert.inserted(objs, rows if insert.returning else [()] * len(objs)),
            )
        else:
            sql, params = _together_sql(tuple(p[0] for p in pending)), [v for p in pending for v in p[2]]
            written = functools.partial(_written_together, pending)
        if extra:  # their own WITH queries first, so their parameters come first
            queries = "".join(f"x{j} AS ({text}), " for j, (text, _) in enumerate(extra))
            sql = (
                f"WITH {queries}{sql.removeprefix('WITH ')}"
                if sql.startswith("WITH ")
                else f"WITH {queries[:-2]} {sql}"
            )
            params = [v for _, p in extra for v in p] + list(params)
        return sql, params, written


def _written_together(pending: list, returned: list) -> None:
    """The rows `_together_sql` returned, given back to each list's objects."""
    start = 1
    for k, (insert, objs, _params) in enumerate(pending):
        end = start + len(insert.returning)
        pk = start + next(i for i, (field, _) in enumerate(insert.returning) if field.primary_key)
        insert.inserted(objs, [row[start:end] for row in returned if row[0] == k and row[pk] is not None])
        start = end
