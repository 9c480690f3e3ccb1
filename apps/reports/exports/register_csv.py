"""The register as CSV written by PostgreSQL itself (`COPY ... TO STDOUT WITH CSV`) and streamed in large chunks:
the same bytes as the csv-module path of exports.py, without a million rows becoming Python objects."""

import csv
import io
import time
from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import CharField, F, Func, QuerySet

from apps.catalog.models import ComponentVersion
from apps.deployments.models import Deployment
from apps.reports.exports.registers import (
    DEPLOYMENT_COLUMNS,
    DEPLOYMENT_HEADER,
    DEPLOYMENT_TEXT,
    TIME_COLUMNS,
    IsoUtc,
    deployment_rows,
)
from apps.reports.exports.writers import FORMULA_CHARS, csv_chunks

COPY_BATCH = 4000  # rows per chunk handed to the response (about 1.3 MB)


def _sql_csv_text(sql: str) -> str:
    """SQL of a text cell as COPY's CSV writer must get it to write what `csv_chunks` writes: formula-guarded like
    `_guarded`, and '' as NULL (COPY writes an empty string as "" where the csv module writes nothing)."""
    codes = ", ".join(str(ord(char)) for char in sorted(FORMULA_CHARS))
    return f"CASE WHEN ascii({sql}) IN ({codes}) THEN '''' || {sql} ELSE NULLIF({sql}, '') END"


class _CsvText(Func):
    """A text column through `_sql_csv_text` (PostgreSQL only: elsewhere the csv module writes the register CSV)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return _sql_csv_text(sql), [*params, *params, *params]


def _register_copy_sql(queryset: QuerySet[Deployment]) -> tuple[str, list]:
    """`COPY (...) TO STDOUT` of the register, in DEPLOYMENT_HEADER order; EmptyResultSet when nothing can match.

    `q` is the export's own queryset (visibility, filters, ordering) with every cell but the component versions
    formatted in SQL; its ORDER BY keeps it a subquery of its own, whose order the nested-loop laterals after it keep.
    A deployment's versions are found as an array of ids (`x`, one index probe; OFFSET 0 keeps it a subquery of its
    own), and their label `component version; ...` (`versions`) by a LATERAL that PostgreSQL memoizes per distinct
    array, instead of three index lookups and an aggregate per row."""
    cells = {"csv_id": F("pk")}
    for i, (name, field) in enumerate(DEPLOYMENT_COLUMNS):
        if name != "component_versions":
            value = IsoUtc(name) if name in TIME_COLUMNS else F(field)
            cells[f"csv_{i}"] = _CsvText(value) if i in DEPLOYMENT_TEXT else value
    inner = queryset.annotate(**cells).values_list(*cells)
    sql, params = inner.query.get_compiler(using=queryset.db).as_sql()

    qn = connections[queryset.db].ops.quote_name
    through = Deployment.component_versions.through._meta
    version = ComponentVersion._meta
    component = version.get_field("component").related_model._meta
    v_id, v_version, v_component = (qn(version.get_field(f).column) for f in ("id", "version", "component"))
    c_id, c_name = (qn(component.get_field(f).column) for f in ("id", "name"))
    t_deployment, t_version = (qn(through.get_field(f).column) for f in ("deployment", "componentversion"))
    label = _sql_csv_text(f"string_agg(concat(c.{c_name}, ' ', v.{v_version}), '; ' ORDER BY v.{v_id})")
    columns = [
        "versions.label" if name == "component_versions" else f"q.{qn(f'csv_{i}')}"
        for i, (name, _) in enumerate(DEPLOYMENT_COLUMNS)
    ]
    copy = (
        f"COPY (SELECT {', '.join(columns)} FROM ({sql}) q"  # noqa: S608 (names from models, values as parameters)
        f" CROSS JOIN LATERAL (SELECT ARRAY(SELECT t.{t_version} FROM {qn(through.db_table)} t"
        f" WHERE t.{t_deployment} = q.{qn('csv_id')} ORDER BY 1) AS ids OFFSET 0) x"
        f" LEFT JOIN LATERAL (SELECT {label} AS label FROM {qn(version.db_table)} v"
        f" INNER JOIN {qn(component.db_table)} c ON c.{c_id} = v.{v_component}"
        f" WHERE v.{v_id} = ANY(x.ids)) versions ON true"
        ") TO STDOUT WITH (FORMAT csv)"
    )
    return copy, list(params)


def _crlf(records: list[bytes]) -> bytes:
    """COPY records as the csv module writes them: COPY ends a record with LF, the csv module with CRLF; a quoted cell
    may hold line breaks of its own, which stay as they are."""
    data = b"".join(records)
    if b'"' not in data or data.count(b"\n") == len(records):  # no line break in a cell: every LF ends a record
        return data.replace(b"\n", b"\r\n")
    return b"".join([record[:-1] + b"\r\n" for record in records])


def _copy_register(queryset: QuerySet[Deployment]) -> Iterator[bytes]:
    try:
        sql, params = _register_copy_sql(queryset)
    except EmptyResultSet:
        return
    connection = connections[queryset.db]
    started = time.monotonic()
    with transaction.atomic(using=queryset.db), connection.cursor() as cursor, connection.wrap_database_errors:
        # A parallel plan sorts every row on disk before the first one leaves; the plan in the register's index order
        # streams at once and leaves the other core to the web worker.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        with cursor.cursor.copy(sql, params) as copy:
            records = []
            for record in copy:  # one COPY message per row, in a buffer of libpq's that is better freed at once
                records.append(bytes(record))
                if len(records) == COPY_BATCH:
                    yield _crlf(records)
                    records = []
            yield _crlf(records)
        if connection.queries_logged:  # COPY bypasses Django's cursor wrapper: count it like any other query
            connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})


def deployment_csv(queryset: QuerySet[Deployment]) -> Iterator[bytes]:
    """The register as CSV bytes, exactly as `csv_chunks(DEPLOYMENT_HEADER, deployment_rows(...), ...)` writes it: on
    PostgreSQL the database writes the CSV and its rows pass through in chunks of COPY_BATCH without ever becoming
    Python objects; elsewhere the csv module writes it."""
    if connections[queryset.db].vendor != "postgresql":
        for chunk in csv_chunks(DEPLOYMENT_HEADER, deployment_rows(queryset), text_columns=DEPLOYMENT_TEXT):
            yield chunk.encode()
        return
    header = io.StringIO()
    csv.writer(header).writerow(DEPLOYMENT_HEADER)
    yield header.getvalue().encode()
    yield from _copy_register(queryset)
