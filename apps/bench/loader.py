"""Fast bulk loading for the benchmark data set: COPY on PostgreSQL, batched INSERTs elsewhere."""

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED


def columns_of(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def default_row(model: type[models.Model]) -> dict:
    row = {}
    for f in columns_of(model):
        if f.default is not NOT_PROVIDED:
            row[f.attname] = f.get_default()
        elif f.null:
            row[f.attname] = None
        elif isinstance(f, models.CharField | models.TextField):
            row[f.attname] = ""
    return row


def _prepare(field: models.Field, value):
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    return value


def copy_rows(model: type[models.Model], rows: Iterable[dict], fields: Sequence[str] | None = None) -> int:
    """Insert `rows` (dicts keyed by attname) into the model's table; returns how many."""
    all_fields = {f.attname: f for f in columns_of(model)}
    names = list(fields) if fields else list(all_fields)
    cols = [all_fields[n] for n in names]
    table = connection.ops.quote_name(model._meta.db_table)
    col_sql = ", ".join(connection.ops.quote_name(f.column) for f in cols)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy:  # noqa: S608 (names from models)
                for row in rows:
                    copy.write_row([_prepare(f, row.get(f.attname)) for f in cols])
                    count += 1
        else:
            placeholders = ", ".join(["%s"] * len(cols))
            sql = f"INSERT INTO {table} ({col_sql}) VALUES ({placeholders})"  # noqa: S608 (names from models)
            batch = []
            for row in rows:
                batch.append([_prepare(f, row.get(f.attname)) for f in cols])
                if len(batch) >= 5000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def next_id(model: type[models.Model]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequence(model: type[models.Model]) -> None:
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM "  # noqa: S608
            + connection.ops.quote_name(table)
            + "), 1))",
            [table],
        )


def copy_text(model: type[models.Model], columns: Sequence[str], lines: list[str]) -> int:
    """COPY pre-formatted tab-separated `lines` (attnames in `columns`, `\\N` for NULL) on PostgreSQL; on other
    databases parse them back and INSERT. Every NOT NULL column without a database default must be in `columns`."""
    fields = {f.attname: f for f in columns_of(model)}
    missing = [
        n
        for n, f in fields.items()
        if not f.null
        and n not in columns
        and f.db_default is NOT_PROVIDED
        and not (f.primary_key and "id" not in columns)
    ]
    if missing:
        raise ValueError(f"{model.__name__}: columns {missing} are NOT NULL and not generated")
    if not lines:
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    col_sql = ", ".join(connection.ops.quote_name(fields[c].column) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({col_sql}) FROM STDIN") as copy:  # noqa: S608
            copy.write("".join(lines))
        return len(lines)
    # the text is COPY's: JSON columns hold JSON already, which copy_rows would encode a second time
    json_columns = [c for c in columns if isinstance(fields[c], models.JSONField)]
    rows = []
    for line in lines:
        row = dict(zip(columns, [None if v == "\\N" else v for v in line.rstrip("\n").split("\t")], strict=True))
        for c in json_columns:
            if row[c] is not None:
                row[c] = json.loads(row[c])
        rows.append(row)
    return copy_rows(model, rows, columns)


def bulk_load_session() -> None:
    """On PostgreSQL, skip FK triggers (the generator keeps references consistent) and synchronous commits."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")


class IndexesDropped:
    """On PostgreSQL, drop the plain (non-constraint) indexes of some tables for a bulk load and rebuild them after:
    building an index once over sorted data is many times faster than maintaining it row by row. Partial indexes stay:
    each holds few of the rows (those on their way, those with a stage, the unpassed required checks), so keeping
    them costs the load a test of their condition a row, where building one after reads the whole table again (at ten
    million, 3.5-5 GB each, seven times)."""

    def __init__(self, models_: Sequence[type[models.Model]]):
        self.tables = [m._meta.db_table for m in models_]
        self.definitions: list[str] = []

    def __enter__(self):
        if connection.vendor != "postgresql":
            return self
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   JOIN pg_class x ON x.relname = i.indexname AND x.relnamespace = i.schemaname::regnamespace
                   JOIN pg_index p ON p.indexrelid = x.oid
                   WHERE i.tablename = ANY(%s) AND p.indpred IS NULL AND NOT EXISTS (
                     SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                [self.tables],
            )
            rows = cursor.fetchall()
            for name, definition in rows:
                self.definitions.append(definition)
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, *exc):
        if connection.vendor != "postgresql" or not self.definitions:
            return False
        if connection.in_atomic_block:  # another connection would wait for this transaction's dropped indexes
            _build(self.definitions)
            return False
        # outside a transaction, two connections: a build's sort and a GIN index's inserts each use one core, and
        # PostgreSQL builds neither a GIN index nor a small B-tree with parallel workers
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=BUILDERS) as pool:
            for done in [pool.submit(_build, [d], close=True) for d in _dearest_first(self.definitions)]:
                done.result()
        return False


def _dearest_first(definitions: list[str]) -> list[str]:
    """The index definitions, the dearest builds first (the largest tables' indexes, GIN before B-tree, wider before
    narrower), so the two connections end together instead of one building the last large index alone."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)",
            [sorted({d.split(" ON ", 1)[1].split()[0].rsplit(".", 1)[-1].strip('"') for d in definitions})],
        )
        sizes = dict(cursor.fetchall())

    def cost(definition: str) -> float:
        table = definition.split(" ON ", 1)[1].split()[0].rsplit(".", 1)[-1].strip('"')
        gin = 4 if " USING gin " in definition else 1
        return sizes.get(table, 0) * gin * (1 + definition.split("(", 1)[1].count(","))

    return sorted(definitions, key=cost, reverse=True)


BUILDERS = 2  # the connections that rebuild the dropped indexes (the machines have two cores)
BUILD_MEMORY = "1GB"  # each: a build sorts in memory, and a GIN index collects its entries there, before writing


def _build(definitions: list[str], *, close: bool = False) -> None:
    try:
        with connection.cursor() as cursor:  # in a thread, its own connection
            cursor.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
            for definition in definitions:
                cursor.execute(definition)
    finally:
        if close:
            connection.close()


@contextmanager
def in_order(work: Callable, jobs: Sequence, processes: int) -> Iterator[Iterator]:
    """`work(job)` of each job, in order: made by `processes` forked processes (none: in this one) while this one
    uses the results, with at most one job a process waiting beyond those being made, so a slower consumer never
    piles up the results in memory (a pool's `imap` queues every result made)."""
    if processes < 1:
        yield map(work, jobs)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes) as pool:

        def results():
            queued = deque()
            for job in jobs:
                queued.append(pool.apply_async(work, (job,)))
                if len(queued) > 2 * processes:
                    yield queued.popleft().get()
            while queued:
                yield queued.popleft().get()

        yield results()
