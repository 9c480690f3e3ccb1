"""The rows of the exports: the deployment register, the audit trail, approvals and overrides, read as value tuples.

Every export reads through the same selectors and FilterSet as the pages, so it holds exactly what the user may
see. Rows are fetched with `.values_list(...).iterator(chunk_size=...)` (a server-side cursor on PostgreSQL) and
written as they come, so memory stays constant whatever the number of rows. The register CSV download on
PostgreSQL is written by the database itself (`COPY ... TO STDOUT`, register_csv.py) and passed on in large
chunks, so a million rows stream in seconds without becoming Python objects (DESIGN.md §7).
"""

import json
from collections.abc import Callable, Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Aggregate, CharField, F, Func, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import QueryDict

from apps.audit.filters import as_querydict
from apps.audit.models import AUDIT_ENTRY_COLUMNS, AuditEntry
from apps.core.permissions import user_can
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Approval, Deployment, DeploymentEvent, EventKind
from apps.deployments.selectors.visibility import deployment_list
from apps.reports.permissions import EXPORT_PERM

CHUNK = 2000
BACKGROUND_ROWS = 50_000  # Excel files and audit packs larger than this are prepared in the background

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
AUDIT_FIELDS = list(AUDIT_ENTRY_COLUMNS)
AUDIT_HEADER = ["actor" if column == "actor_name" else column for column in AUDIT_ENTRY_COLUMNS]
APPROVAL_HEADER = ["deployment", "user", "role", "decision", "comment", "at", "superseded"]
OVERRIDE_HEADER = ["deployment", "at", "actor", "channel", "token", "justification", "transition", "overridden"]

Progress = Callable[[int], None] | None


# --- permissions and filters ----------------------------------------------------------------------------------


def export_require(user) -> None:
    """Exports are for managers, auditors and service/product owners (DESIGN.md §1); others get 403."""
    if not user_can(user, EXPORT_PERM):
        raise PermissionDenied("Only deployment managers, auditors and service or product owners may export records.")


def params_to_json(params: QueryDict) -> dict:
    return {key: params.getlist(key) for key in params if key not in ("background", "csrfmiddlewaretoken")}


def export_deployments(*, user, params) -> QuerySet[Deployment]:
    """The register rows of an export: the user's visible deployments through the register's FilterSet."""
    params = as_querydict(params)
    filterset = DeploymentFilterSet(params or None, queryset=deployment_list(user=user))
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({field: [str(e) for e in errs] for field, errs in filterset.errors.items()})
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
