"""What is where: environment × service (or component) — the version in each environment, the last deployment,
and what is on its way, a page of rows at a time. For users who see every deployment the versions and the last
deployments are read from the snapshot (MatrixEntry, kept by the transition service); for users who see part of
them, and under a model filter, each part is one SQL query over their deployments ranked with window functions."""

from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber

from apps.catalog.models import Service, ServiceComponent
from apps.deployments import workflow
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Action, Deployment, MatrixEntry
from apps.deployments.selectors.visibility import deployment_list, sees_all_deployments
from apps.environments.models import Environment
from apps.reports.selectors.matrix_upcoming import upcoming_rows, upcoming_services

SERVICE, COMPONENT = "service", "component"
MATRIX_FILTERS = ("service", "environment", "environment_kind", "model")
UPCOMING_SHOWN = 3
SNAPSHOT_FILTERS = ("service", "environment", "environment_kind")  # the filters the snapshot answers by itself
# rows per page: a page people read, not a 15 MB document (a service row holds every component's version)
PAGE_SIZE = {SERVICE: 10, COMPONENT: 25}
LABELS_BY_ID = 200  # row labels read by id up to this many rows, and all of them past it (`_row_labels`)


@dataclass
class Cell:
    versions: list[dict] = field(default_factory=list)  # {"component", "version", "reference", "at", "id", "released"}
    last: dict | None = None  # {"reference", "status", "at", "id"}
    upcoming: list[dict] = field(default_factory=list)  # {"reference", "status", "planned_start", "id"}
    upcoming_count: int = 0

    @property
    def empty(self) -> bool:
        return not (self.versions or self.last or self.upcoming)


@dataclass
class MatrixRow:
    key: int
    label: str
    service: str
    cells: list[Cell]


@dataclass
class MatrixData:
    by: str
    environments: list[Environment]
    rows: list[MatrixRow]
    page: int = 1
    pages: int = 1
    total: int = 0  # rows on every page

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE[self.by] + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE[self.by], self.total)


def _matrix_filterset(*, user, params=None) -> DeploymentFilterSet:
    data = None
    if params:
        data = params.copy()
        for key in list(data.keys()):
            if key not in MATRIX_FILTERS:
                del data[key]
    return DeploymentFilterSet(data or None, queryset=deployment_list(user=user))


def matrix_base(*, user, params=None) -> QuerySet[Deployment]:
    """The user's visible deployments, narrowed by the matrix's filters (a subset of the register's)."""
    filterset = _matrix_filterset(user=user, params=params)
    return filterset.qs if not filterset.is_bound or filterset.is_valid() else filterset.queryset.none()


def _snapshot_entries(filterset: DeploymentFilterSet) -> QuerySet[MatrixEntry] | None:
    """The snapshot narrowed like the deployments, or None when the snapshot cannot answer (a model filter: the
    snapshot ranks every deployment, not those of one model)."""
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    if any(value for key, value in data.items() if key not in SNAPSHOT_FILTERS):
        return None  # e.g. a model filter: only the deployments themselves can answer
    qs = MatrixEntry.objects.all()
    if data.get("service"):
        qs = qs.filter(service=data["service"])
    if data.get("environment"):
        qs = qs.filter(environment=data["environment"])
    if data.get("environment_kind"):
        qs = qs.filter(environment__kind=data["environment_kind"])
    return qs


def _current_versions(base: QuerySet[Deployment]) -> list[dict]:
    """Per (environment, component): the latest completed deployment touching it; a removal means nothing there."""
    through = Deployment.component_versions.through
    rows = (
        through.objects.filter(
            deployment__in=base.filter(status=workflow.Status.COMPLETED).order_by().values("pk"),
        )
        .annotate(
            environment_id=F("deployment__environment_id"),
            component_id=F("componentversion__component_id"),
            rank=Window(
                RowNumber(),
                partition_by=[F("deployment__environment_id"), F("componentversion__component_id")],
                order_by=[F("deployment__actual_end").desc(nulls_last=True), F("deployment_id").desc()],
            ),
        )
        .filter(rank=1)
        .values(
            "environment_id",
            "component_id",
            "deployment_id",
            action=F("deployment__action"),
            reference=F("deployment__reference"),
            at=F("deployment__actual_end"),
            released_at=F("deployment__released_at"),
            version=F("componentversion__version"),
            component=F("componentversion__component__name"),
            service_id=F("componentversion__component__service_id"),
            service=F("componentversion__component__service__name"),
        )
    )
    return [row for row in rows if row["action"] != Action.REMOVE]


def _cells(base: QuerySet[Deployment], by: str, statuses) -> tuple:
    """The deployments of `base` in `statuses`, one row per deployment and service or per deployment and component:
    (the rows, the cell's key, its environment, the prefix of the deployment's fields in the rows)."""
    if by == COMPONENT:
        through = Deployment.component_versions.through
        qs = through.objects.filter(deployment__in=base.filter(status__in=statuses).order_by().values("pk"))
        return qs, F("componentversion__component_id"), F("deployment__environment_id"), "deployment__"
    return base.filter(status__in=statuses).order_by(), F("service_id"), F("environment_id"), ""


def _last_deployments(base: QuerySet[Deployment], by: str) -> list[dict]:
    """Per (environment, service or component): the last finished deployment."""
    qs, key, env, prefix = _cells(base, by, workflow.FINISHED)
    rows = (
        qs.annotate(
            row_key=key,
            env_id=env,
            rank=Window(
                RowNumber(),
                partition_by=[env, key],
                order_by=[F(f"{prefix}actual_end").desc(nulls_last=True), F(f"{prefix}id").desc()],
            ),
        )
        .filter(rank=1)
        .values(
            "row_key",
            "env_id",
            dep_id=F(f"{prefix}id"),
            dep_reference=F(f"{prefix}reference"),
            dep_status=F(f"{prefix}status"),
            dep_at=F(f"{prefix}actual_end"),
        )
    )
    return list(rows)  # made plain (`_plain`) once cut to the page


def _plain(row: dict) -> dict:
    """Drop the `dep_` prefixes (names that would clash with Deployment's own fields inside the query)."""
    return {key.removeprefix("dep_"): value for key, value in row.items()}


def _upcoming(base: QuerySet[Deployment], by: str) -> list[dict]:
    """Per (environment, service or component): the approved or in-progress deployments, soonest first (3 shown)."""
    qs, key, env, prefix = _cells(base, by, workflow.ON_ITS_WAY)
    rows = (
        qs.annotate(
            row_key=key,
            env_id=env,
            rank=Window(
                RowNumber(),
                partition_by=[env, key],
                order_by=[F(f"{prefix}planned_start").asc(nulls_last=True), F(f"{prefix}id").asc()],
            ),
            count=Window(Count("*"), partition_by=[env, key]),
        )
        .filter(rank__lte=UPCOMING_SHOWN)
        .values(
            "row_key",
            "env_id",
            "count",
            dep_id=F(f"{prefix}id"),
            dep_reference=F(f"{prefix}reference"),
            dep_status=F(f"{prefix}status"),
            dep_planned_start=F(f"{prefix}planned_start"),
        )
    )
    return list(rows)  # made plain (`_plain`) once cut to the page


def _row_labels(by: str, keys: set[int]) -> dict[int, tuple]:
    """(label, service) of every row key, in one query. Past LABELS_BY_ID keys every row is read and the keys picked
    in Python: a query naming 5,000 components cost more to build and send (some 10 ms of CPU) than its rows."""
    if by == COMPONENT:
        qs = ServiceComponent.objects.order_by().values_list("pk", "name", "service__name")
    else:
        qs = Service.objects.order_by().values_list("pk", "name", "name")
    if len(keys) <= LABELS_BY_ID:
        qs = qs.filter(pk__in=keys)
    return {pk: (name, service) for pk, name, service in qs if pk in keys}


def _snapshot_keys(entries: QuerySet[MatrixEntry], by: str) -> set[int]:
    """Every row with a version or a finished deployment: a component entry per component, a service entry per
    service (every finished deployment made one)."""
    if by == COMPONENT:
        return set(entries.filter(component__isnull=False).values_list("component_id", flat=True).distinct())
    return set(entries.filter(component__isnull=True).values_list("service_id", flat=True).distinct())


def _snapshot_current(entries: QuerySet[MatrixEntry], by: str, keys: list[int]) -> list[dict]:
    """The versions in place for the rows of the page (a removal left no version). By service the components are
    bounded by the page's services too: without it PostgreSQL estimated three times the entries and hashed every
    component and component version (15,000) for the page's 2,000 in a parallel plan (bounded: nested loops, some
    40% less time at 1,000,000). What the page shows of the deployments is copied on the entries (`_shown` in
    matrix_snapshot): reading it from the deployments cost one index look-up a version (1,931 a page)."""
    if by == COMPONENT:
        page = {"component_id__in": keys}
    else:
        page = {"service_id__in": keys, "component__service_id__in": keys}
    rows = list(
        entries.filter(**page, component__isnull=False, current_version__isnull=False).values(
            "environment_id",
            "component_id",
            "service_id",
            deployment_id=F("current_id"),
            reference=F("current_reference"),
            at=F("current_at"),
            released_at=F("current_released_at"),
            version=F("current_version__version"),
            component_name=F("component__name"),
        )
    )
    for row in rows:
        row["component"] = row.pop("component_name")
    return rows


def _snapshot_last(entries: QuerySet[MatrixEntry], by: str, keys: list[int]) -> list[dict]:
    """The last finished deployment of the rows of the page, from the entries' copies."""
    if by == COMPONENT:
        qs, key = entries.filter(component_id__in=keys), F("component_id")
    else:
        qs, key = entries.filter(component__isnull=True, service_id__in=keys), F("service_id")
    rows = qs.filter(last__isnull=False).values(
        row_key=key,
        env_id=F("environment_id"),
        dep_id=F("last_id"),
        dep_reference=F("last_reference"),
        dep_status=F("last_status"),
        dep_at=F("last_at"),
    )
    return [_plain(row) for row in rows]


def _counts_answer(entries, by: str) -> bool:
    """Whether what is on its way is read from the counts (by service, where the snapshot answers)."""
    return entries is not None and by == SERVICE


def matrix_build(*, user, params=None, by: str = SERVICE, page: int = 1) -> MatrixData:
    """One page of the environment × service (or component) matrix of what the user may see: a constant number of
    queries whatever its size."""
    by = COMPONENT if by == COMPONENT else SERVICE
    filterset = _matrix_filterset(user=user, params=params)
    valid = not filterset.is_bound or filterset.is_valid()
    base = filterset.qs if valid else filterset.queryset.none()
    environments = list(Environment.objects.filter(is_active=True).order_by("order", "name"))
    column = {env.pk: i for i, env in enumerate(environments)}
    entries = _snapshot_entries(filterset) if valid and sees_all_deployments(user=user) else None
    # by service, where the snapshot answers, what is on its way is read from the counts the services keep and a
    # few deployments a cell of the page (matrix_upcoming); otherwise every deployment on its way is ranked
    counted = _counts_answer(entries, by)
    data = filterset.form.cleaned_data if counted and filterset.is_bound else {}
    upcoming = [] if counted else _upcoming(base, by)
    if entries is not None:
        keys = _snapshot_keys(entries, by)
    else:
        current = _current_versions(base)
        last = _last_deployments(base, by)
        keys = {row["component_id"] if by == COMPONENT else row["service_id"] for row in current}
        keys |= {row["row_key"] for row in last}
    keys |= upcoming_services(data) if counted else {row["row_key"] for row in upcoming}
    labels = _row_labels(by, keys)
    ordered = sorted(keys, key=lambda k: (labels.get(k, ("?", ""))[1].lower(), labels.get(k, ("?", ""))[0].lower(), k))
    size = PAGE_SIZE[by]
    pages = max(1, -(-len(ordered) // size))
    page = min(max(page, 1), pages)
    shown = ordered[(page - 1) * size : page * size]
    on_page = set(shown)
    if entries is not None:
        current = _snapshot_current(entries, by, shown)
        last = _snapshot_last(entries, by, shown)
    else:
        current = [r for r in current if (r["component_id"] if by == COMPONENT else r["service_id"]) in on_page]
        last = [_plain(r) for r in last if r["row_key"] in on_page]
    if counted:
        upcoming = upcoming_rows(base, data, shown, UPCOMING_SHOWN)
    else:
        upcoming = [_plain(r) for r in upcoming if r["row_key"] in on_page]
    grid: dict[int, list[Cell]] = {key: [Cell() for _ in environments] for key in shown}
    for row in current:
        if row["environment_id"] not in column:
            continue
        key = row["component_id"] if by == COMPONENT else row["service_id"]
        grid[key][column[row["environment_id"]]].versions.append(
            {
                "component": row["component"],
                "version": row["version"],
                "reference": row["reference"],
                "at": row["at"],
                "id": row["deployment_id"],
                "released": row["released_at"] is not None,  # deployed, and made available to users
            }
        )
    for row in last:
        if row["env_id"] in column:
            grid[row["row_key"]][column[row["env_id"]]].last = row
    for row in upcoming:
        if row["env_id"] in column:
            cell = grid[row["row_key"]][column[row["env_id"]]]
            cell.upcoming.append(row)
            cell.upcoming_count = row["count"]
    for cells in grid.values():
        for cell in cells:
            cell.versions.sort(key=lambda v: v["component"])
            cell.upcoming.sort(key=lambda u: (u["planned_start"] is None, u["planned_start"], u["id"]))
    rows = [
        MatrixRow(key=key, label=labels.get(key, ("?", ""))[0], service=labels.get(key, ("?", ""))[1], cells=grid[key])
        for key in shown
    ]
    return MatrixData(by=by, environments=environments, rows=rows, page=page, pages=pages, total=len(ordered))
