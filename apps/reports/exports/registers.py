"""Exports for auditors: the deployment register (CSV, Excel), the audit trail (CSV) and the audit pack (ZIP).

Every export reads through the same selectors and FilterSet as the pages, so it holds exactly what the user may
see. Rows are fetched with `.values_list(...).iterator(chunk_size=...)` (a server-side cursor on PostgreSQL) and
written as they come, so memory stays constant whatever the number of rows. The register CSV download on
PostgreSQL is written by the database itself (`COPY ... TO STDOUT`, apps/reports/register_csv.py) and passed on in
large chunks, so a million rows stream in seconds without becoming Python objects (DESIGN.md §7).
"""

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator

import django_filters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Aggregate, CharField, F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import QueryDict

from apps.catalog.models import Service
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
