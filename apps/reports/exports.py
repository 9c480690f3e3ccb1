"""Exports for auditors: the deployment register (CSV, Excel), the audit trail (CSV) and the audit pack (ZIP).

Every export reads through the same selectors and FilterSet as the pages, so it holds exactly what the user may
see. Rows are fetched with `.values_list(...).iterator(chunk_size=...)` (a server-side cursor on PostgreSQL) and
written as they come, so memory stays constant whatever the number of rows. The register CSV download on PostgreSQL
is written by the database itself (`COPY ... TO STDOUT`, `deployment_csv`) and passed on in large chunks, so a
million rows stream in seconds without becoming Python objects (DESIGN.md §7).
"""

import csv
import datetime as dt
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator

import django_filters
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import Aggregate, CharField, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import QueryDict

from apps.catalog.models import ComponentVersion, Service
from apps.core.permissions import user_can
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Approval, Deployment, DeploymentEvent, EventKind
from apps.deployments.selectors import deployment_list
from apps.reports.models import AuditEntry

CHUNK = 2000
BACKGROUND_ROWS = 50_000  # Excel files and audit packs larger than this are prepared in the background
EXPORT_PERM = "reports.export_records"

DEPLOYMENT_COLUMNS = [
    ("reference", "reference"),
    ("title", "title"),
    ("action", "action"),
    ("trigger", "trigger"),
    ("status", "status"),
    ("service", "service__name"),
    ("environment", "environment__name"),
    ("model", "model__name"),
    ("model_version", "model__version"),
    ("component_versions", "export_versions"),
    ("requester", "requester__username"),
    ("manager", "manager__username"),
    ("planned_start", "export_planned_start"),
    ("planned_end", "export_planned_end"),
    ("actual_start", "export_actual_start"),
    ("actual_end", "export_actual_end"),
    ("change_ref", "change_ref"),
    ("release_ref", "release_ref"),
    ("override_count", "override_count"),
    ("outcome", "outcome"),
]
DEPLOYMENT_HEADER = [name for name, _ in DEPLOYMENT_COLUMNS]
TIME_COLUMNS = ("planned_start", "planned_end", "actual_start", "actual_end")
# user-entered text that could start like a spreadsheet formula (times are formatted by the database)
DEPLOYMENT_TEXT = [
    i
    for i, (name, _) in enumerate(DEPLOYMENT_COLUMNS)
    if name not in (*TIME_COLUMNS, "model_version", "override_count")
]
AUDIT_HEADER = [
    "id",
    "at",
    "actor",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "service_id",
    "hash",
    "prev_hash",
]
AUDIT_FIELDS = [
    "id",
    "at",
    "actor_name",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "service_id",
    "hash",
    "prev_hash",
]
APPROVAL_HEADER = ["deployment", "user", "role", "decision", "comment", "at", "superseded"]
OVERRIDE_HEADER = ["deployment", "at", "actor", "channel", "token", "justification", "transition", "overridden"]

Progress = Callable[[int], None] | None


# --- permissions and filters ----------------------------------------------------------------------------------


def export_require(user) -> None:
    """Exports are for managers, auditors and service/product owners (DESIGN.md §1); others get 403."""
    if not user_can(user, EXPORT_PERM):
        raise PermissionDenied("Only deployment managers, auditors and service or product owners may export records.")


def as_querydict(params) -> QueryDict:
    """A QueryDict from a request's GET, or from the dict of lists an ExportJob stored."""
    if isinstance(params, QueryDict):
        return params
    data = QueryDict(mutable=True)
    for key, values in (params or {}).items():
        data.setlist(key, values if isinstance(values, list) else [values])
    return data


def params_to_json(params: QueryDict) -> dict:
    return {key: params.getlist(key) for key in params if key not in ("background", "csrfmiddlewaretoken")}


def _errors_text(errors) -> dict:
    return {field: [str(e) for e in errs] for field, errs in errors.items()}


def export_deployments(*, user, params) -> QuerySet[Deployment]:
    """The register rows of an export: the user's visible deployments through the register's FilterSet."""
    params = as_querydict(params)
    filterset = DeploymentFilterSet(params or None, queryset=deployment_list(user=user))
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError(_errors_text(filterset.errors))
    qs = filterset.qs
    if not params.get("ordering"):
        qs = qs.order_by("-planned_start", "-id")
    return qs


class _VersionsConcat(Aggregate):
    """`name version; name version` of a deployment's component versions, in one SQL aggregate."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '; ')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra)


def versions_subquery() -> Subquery:
    through = Deployment.component_versions.through
    label = Concat(F("componentversion__component__name"), Value(" "), F("componentversion__version"))
    rows = (
        through.objects.filter(deployment_id=OuterRef("pk"))
        .order_by()
        .values("deployment_id")
        .annotate(joined=_VersionsConcat(label))
        .values("joined")
    )
    return Subquery(rows, output_field=CharField())


class IsoUtc(Func):
    """A date-time as ISO 8601 text in UTC, formatted by the database: a million rows are not parsed into Python
    datetimes only to be formatted back into text."""

    output_field = CharField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = """to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps UTC date-times as text 'YYYY-MM-DD HH:MM:SS[.ffffff]'
        return super().as_sql(
            compiler, connection, template="(REPLACE(%(expressions)s, ' ', 'T') || '+00:00')", **extra
        )


def deployment_rows(queryset: QuerySet[Deployment], *, text_times: bool = True) -> Iterator[tuple]:
    """One tuple per deployment, in DEPLOYMENT_HEADER order, streamed from a server-side cursor. Times are ISO text
    from the database (`text_times`), or datetimes for Excel."""
    times = {f"export_{name}": IsoUtc(name) if text_times else F(name) for name in TIME_COLUMNS}
    qs = queryset.annotate(export_versions=versions_subquery(), **times)
    yield from qs.values_list(*[field for _, field in DEPLOYMENT_COLUMNS]).iterator(chunk_size=CHUNK)


# --- the register CSV, written by PostgreSQL -------------------------------------------------------------------

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


def _parse_day(value: str | None, field: str) -> dt.datetime | None:
    """A date (YYYY-MM-DD) or ISO date-time, as an aware UTC datetime; ValidationError when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({field: [f"“{value[:40]}” is not a date (YYYY-MM-DD)."]}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def period_bounds(params) -> tuple[dt.datetime | None, dt.datetime | None]:
    """`from` and `to` of the query string as [start, end): `to` is inclusive of its whole day."""
    params = as_querydict(params)
    start = _parse_day(params.get("from"), "from")
    end = _parse_day(params.get("to"), "to")
    if end is not None and len((params.get("to") or "").strip()) == 10:
        end += dt.timedelta(days=1)
    if start and end and end <= start:
        raise ValidationError({"to": ["The end of the period must be after its start."]})
    return start, end


class AuditEntryFilterSet(django_filters.FilterSet):
    """Filters of the audit page, the audit-trail export and the audit-entries API."""

    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact")
    channel = django_filters.ChoiceFilter(
        choices=[("web", "Web"), ("api", "API"), ("admin", "Admin"), ("system", "System")]
    )
    action = django_filters.CharFilter()
    service = django_filters.NumberFilter(field_name="service_id")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "channel", "action", "service"]


def _owned_services(user) -> QuerySet:
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).values("pk")


def audit_entry_list(*, user, params=None) -> QuerySet[AuditEntry]:
    """Audit entries the user may read: all with `view_audit`; otherwise those of the services they own."""
    if user_can(user, "reports.view_audit"):
        qs = AuditEntry.objects.all()
    elif user_can(user, EXPORT_PERM):
        qs = AuditEntry.objects.filter(service_id__in=_owned_services(user))
    else:
        return AuditEntry.objects.none()
    params = as_querydict(params)
    filterset = AuditEntryFilterSet(params or None, queryset=qs)
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError(_errors_text(filterset.errors))
    qs = filterset.qs
    start, end = period_bounds(params)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    return qs


def audit_rows(queryset: QuerySet[AuditEntry]) -> Iterator[tuple]:
    for row in queryset.order_by("id").values_list(*AUDIT_FIELDS).iterator(chunk_size=CHUNK):
        changes = row[8]
        if isinstance(changes, str):  # some backends hand JSON back as text
            changes = json.loads(changes)
        yield (*row[:8], json.dumps(changes, sort_keys=True, ensure_ascii=False), *row[9:])


def approval_rows(deployments: QuerySet[Deployment]) -> Iterator[tuple]:
    qs = Approval.objects.filter(deployment__in=deployments.order_by().values("pk")).order_by("deployment_id", "id")
    fields = ["deployment__reference", "user__username", "role", "decision", "comment", "at", "superseded"]
    yield from qs.values_list(*fields).iterator(chunk_size=CHUNK)


def override_rows(deployments: QuerySet[Deployment]) -> Iterator[tuple]:
    qs = DeploymentEvent.objects.filter(
        deployment__in=deployments.order_by().values("pk"), kind=EventKind.OVERRIDE
    ).order_by("deployment_id", "at", "id")
    fields = ["deployment__reference", "at", "actor__username", "channel", "token_name", "comment", "data"]
    for row in qs.values_list(*fields).iterator(chunk_size=CHUNK):
        data = row[6] if isinstance(row[6], dict) else json.loads(row[6] or "{}")
        overridden = data.get("overridden") or []
        yield (*row[:6], data.get("transition", ""), " | ".join(str(item) for item in overridden))


# --- writing --------------------------------------------------------------------------------------------------


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = frozenset("=+-@\t\r")


def cell(value):
    """A value as text for a CSV cell: ISO 8601 times, and no spreadsheet formula can hide in a text cell."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _guarded(rows: Iterable[tuple], text_columns: list[int]) -> Iterator[list]:
    """Rows of text, numbers and None (csv writes None as empty): only the text columns need the formula guard."""
    for row in rows:
        row = list(row)
        for i in text_columns:
            value = row[i]
            if value and value[0] in FORMULA_CHARS:
                row[i] = "'" + value
        yield row


def csv_chunks(
    header: list[str],
    rows: Iterable[tuple],
    progress: Progress = None,
    batch: int = 500,
    text_columns: list[int] | None = None,
) -> Iterator[str]:
    """CSV text in chunks of `batch` rows, for a StreamingHttpResponse or a file. With `text_columns`, the rows hold
    only text, numbers and None, and only those columns are guarded (the fast path of the register export)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    cells = _guarded(rows, text_columns) if text_columns is not None else ([cell(v) for v in row] for row in rows)
    for row in cells:
        writer.writerow(row)
        count += 1
        if count % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if progress and count % CHUNK == 0:
                progress(count)
    yield buffer.getvalue()
    if progress:
        progress(count)


def write_csv(
    path: str,
    header: list[str],
    rows: Iterable[tuple],
    progress: Progress = None,
    text_columns: list[int] | None = None,
) -> str:
    """Writes a CSV file; returns its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for chunk in csv_chunks(header, rows, progress, text_columns=text_columns):
            data = chunk.encode()
            digest.update(data)
            out.write(data)
    return digest.hexdigest()


def _xlsx_value(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value  # Excel has no time zones
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_xlsx(path: str, header: list[str], rows: Iterable[tuple], progress: Progress = None) -> None:
    """An Excel workbook written row by row (openpyxl write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Deployments")
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
        count += 1
        if progress and count % CHUNK == 0:
            progress(count)
    workbook.save(path)
    if progress:
        progress(count)


def _pack_params(params) -> QueryDict:
    """The pack's period `from`–`to` also bounds the register (deployments planned in it)."""
    params = as_querydict(params).copy()
    start, end = period_bounds(params)
    if start and not params.get("planned_from"):
        params["planned_from"] = start.isoformat()
    if end and not params.get("planned_to"):
        params["planned_to"] = end.isoformat()
    return params


def audit_pack_parts(*, user, params) -> list[tuple[str, list[str], Iterable[tuple], list[int] | None]]:
    """The CSV files of an audit pack for the period `from`–`to` (and the register filters)."""
    params = _pack_params(params)
    deployments = export_deployments(user=user, params=params)
    audit = audit_entry_list(user=user, params=params)
    return [
        ("deployments.csv", DEPLOYMENT_HEADER, deployment_rows(deployments), DEPLOYMENT_TEXT),
        ("audit-trail.csv", AUDIT_HEADER, audit_rows(audit), None),
        ("approvals.csv", APPROVAL_HEADER, approval_rows(deployments), None),
        ("overrides.csv", OVERRIDE_HEADER, override_rows(deployments), None),
    ]


def write_audit_pack(path: str, *, user, params, progress: Progress = None) -> None:
    """A ZIP of the register, audit trail, approvals and overrides, with `MANIFEST.sha256` of the files."""
    parts = audit_pack_parts(user=user, params=params)
    manifest = []
    written = [0]  # rows of the files already in the archive, for the progress bar

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header, rows, text_columns in parts:
            digest = hashlib.sha256()
            last = [0]

            def step(n, last=last):
                last[0] = n
                if progress:
                    progress(written[0] + n)

            with archive.open(name, "w", force_zip64=True) as member:
                for chunk in csv_chunks(header, rows, step, text_columns=text_columns):
                    data = chunk.encode()
                    digest.update(data)
                    member.write(data)
            written[0] += last[0]
            manifest.append(f"{digest.hexdigest()}  {name}\n")
        archive.writestr("MANIFEST.sha256", "".join(manifest))


def audit_pack_size(*, user, params) -> int:
    """Rows an audit pack will hold (deployments and audit entries), to decide whether to go to the background."""
    params = _pack_params(params)
    return export_deployments(user=user, params=params).count() + audit_entry_list(user=user, params=params).count()
