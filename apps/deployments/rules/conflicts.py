"""The conflicts of a deployment's plan with the rest of the world (DESIGN.md §2 "Conflicts"): other deployments in
the environment, on the same components or with the same practitioners, freezes and maintenance windows, and
downgrades."""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from packaging.version import InvalidVersion, Version

from apps.catalog.models import ServiceComponent
from apps.core.compiled import CompiledQuery
from apps.deployments import workflow
from apps.deployments.models import Action, Deployment, window_length
from apps.environments.models import Environment
from apps.environments.selectors import freeze_conflicts, maintenance_window_covers


@dataclass(frozen=True)
class Conflict:
    """Something that clashes with a deployment's plan; `code` says which rule (DESIGN.md §2 "Conflicts")."""

    code: str  # environment_busy, component_busy, freeze, outside_maintenance, practitioner_busy, downgrade
    message: str
    other: str = ""  # the reference of the other deployment, if any

    def __str__(self) -> str:
        return self.message


def _overlapping(start: datetime, end: datetime, exclude_pk: int | None, booked_only: bool = False):
    """The planned deployments whose windows overlap [start, end): those planned to start before its end, and no
    earlier than its start less the longest planned window, so that they are read through the planned start's index
    as the window's bookings only. With the end's bound alone, the components' and practitioners' overlaps (which
    name no environment) read every planned deployment: 15,000 buffers against 470 at ten million, for a window
    among a month's bookings.

    Their end is compared as an expression (the end, or else the end), which no index serves: it is checked on each
    booking of the window, never taken as the way in. PostgreSQL cannot tell that the planned deployments are nearly
    all still to end, so it expected few of an environment's to end after a window in the middle of the month and read
    them all through their planned windows' index by their end (`dep_planned_env_end`): 3,077 buffers at ten million,
    against 73 by their start (`dep_status_env_start`)."""
    qs = Deployment.objects.alias(end_unindexed=Coalesce("planned_end", "planned_end")).filter(
        status__in=workflow.BOOKED if booked_only else workflow.PLANNED,
        planned_start__lt=end,
        planned_start__gte=ExpressionWrapper(Value(start) - _longest_window(), output_field=DateTimeField()),
        end_unindexed__gt=start,
    )
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs


def _longest_window() -> Greatest:
    """The longest planned window of any deployment (zero when there is none), as a sub-query of the statement that
    PostgreSQL answers from its index (`dep_window_length`): a plan made a moment ago counts at once."""
    longest = Deployment.objects.order_by().annotate(one=Value(1)).values("one")
    longest = longest.annotate(longest=Max(window_length())).values("longest")
    zero = Value(timedelta(0), output_field=DurationField())
    return Greatest(Coalesce(Subquery(longest, output_field=DurationField()), zero), zero)


def version_key(text: str):
    """Orders version strings: PEP 440 where they parse, otherwise by their dotted numeric parts."""
    try:
        return (0, Version(text), ())
    except InvalidVersion:
        parts = tuple(int(p) if p.isdigit() else 0 for p in text.replace("-", ".").split("."))
        return (1, Version("0"), parts)


def plan_conflicts(
    *,
    environment,
    start: datetime | None,
    end: datetime | None,
    versions=(),
    practitioners=(),
    is_rollback: bool = False,
    action: str = Action.DEPLOY,
    exclude_pk: int | None = None,
    booked_only: bool = False,
) -> list[Conflict]:
    """Every conflict of a plan: (a) environment busy, (b) component busy, (c) freeze or outside maintenance,
    (d) practitioner booked twice, (e) downgrade without a stated rollback."""
    if environment is None or start is None or end is None or end <= start:
        return []
    conflicts: list[Conflict] = []
    using = router.db_for_read(Deployment)
    window = {"start": start, "end": end, **({"exclude": exclude_pk} if exclude_pk else {})}
    if not environment.allows_parallel_deployments:
        query = _overlap_query(using, "environment", booked_only, bool(exclude_pk), 0)
        for ref, title in query.rows(**window, environment=environment.pk):
            conflicts.append(
                Conflict(
                    "environment_busy",
                    f"{ref} “{title}” overlaps in {environment}, which allows no parallel deployments.",
                    ref,
                )
            )
    versions = list(versions)
    components = {v.component_id: v for v in versions}
    if components:
        query = _overlap_query(using, "components", booked_only, bool(exclude_pk), len(components))
        for ref, env_name, comp in query.rows(**window, **_ids(components)):
            conflicts.append(
                Conflict("component_busy", f"{ref} deploys {comp} in {env_name} in an overlapping window.", ref)
            )
    for hit in freeze_conflicts(environment=environment, start=start, end=end):
        conflicts.append(
            Conflict(
                "freeze",
                f"Freeze “{hit.window.name}” ({hit.start:%Y-%m-%d %H:%M}–{hit.end:%Y-%m-%d %H:%M} UTC): "
                f"{hit.window.reason}",
            )
        )
    if not maintenance_window_covers(environment=environment, start=start, end=end):
        conflicts.append(
            Conflict("outside_maintenance", f"{environment} accepts deployments only inside its maintenance windows.")
        )
    practitioner_ids = [getattr(p, "pk", p) for p in practitioners]
    if practitioner_ids:
        query = _overlap_query(using, "practitioners", booked_only, bool(exclude_pk), len(practitioner_ids))
        for ref, username in query.rows(**window, **_ids(practitioner_ids)):
            if username is not None:
                conflicts.append(
                    Conflict("practitioner_busy", f"{username} is booked on {ref} in an overlapping window.", ref)
                )
    if action == Action.DEPLOY and not is_rollback and versions:
        currents = current_versions_in(environment=environment, component_ids=[v.component_id for v in versions])
        for version in versions:
            current = currents.get(version.component_id)
            if current is not None and version_key(version.version) < version_key(current):
                conflicts.append(
                    Conflict(
                        "downgrade",
                        f"{version.component.name} {version.version} is older than {current} already in {environment}; "
                        "deploy it only as a stated rollback.",
                    )
                )
    return conflicts


def current_versions_in(*, environment, component_ids) -> dict[int, str | None]:
    """For each component, the version last deployed (completed, not removed) in an environment, in one query;
    components never deployed there are absent. A deployment's versions belong to its service (planning refuses
    others), so each component's service narrows the search to an index range (dep_restore) instead of every
    deployment that ever named the component, read from its latest end down to the first that names it."""
    component_ids = set(component_ids)
    if not component_ids:
        return {}
    query = _current_versions_query(router.db_for_read(Deployment), len(component_ids))
    rows = query.rows(environment=getattr(environment, "pk", environment), **_ids(component_ids))
    return {comp_id: None if action == Action.REMOVE else version for action, version, comp_id in rows}


# stand-ins for the values of the queries below, compiled once per process (none is a value a filter there names)
_START = datetime(1901, 5, 6, 7, 8, 9, 123, tzinfo=UTC)
_END = datetime(1901, 6, 7, 8, 9, 10, 234, tzinfo=UTC)
_EXCLUDE, _ENV, _ID0 = -7_300_001, -7_300_002, -7_300_100


def _ids(ids) -> dict:
    """Each id as the value of its stand-in (`id0`, `id1`, … in the order given)."""
    return {f"id{n}": pk for n, pk in enumerate(ids)}


def _id_marks(count: int) -> tuple[list[int], dict]:
    marks = [_ID0 - n for n in range(count)]
    return marks, _ids(marks)


@functools.lru_cache(maxsize=128)
def _overlap_query(using: str, kind: str, booked_only: bool, excluding: bool, count: int) -> CompiledQuery:
    """plan_conflicts' overlap query of `kind` (environment, components or practitioners, `count` of them), made once
    per process for each shape: the readiness panel asks them on every view of a pending deployment, and building and
    compiling them took longer than PostgreSQL took to plan and run them. Not prepared: the window's bounds are ranges,
    and PostgreSQL's generic plans of them read the whole booked set (75-190 ms against 1-2 at one million)."""
    overlapping = _overlapping(_START, _END, _EXCLUDE if excluding else None, booked_only)
    ids, marks = _id_marks(count)
    marks |= {"start": _START, "end": _END, **({"exclude": _EXCLUDE} if excluding else {})}
    if kind == "environment":
        rows = overlapping.filter(environment_id=_ENV).values_list("reference", "title")[:20]
        marks["environment"] = _ENV
    elif kind == "components":
        rows = (
            overlapping.filter(component_versions__component_id__in=ids)
            .annotate(
                environment_name=_name_of(Environment, "environment_id"),
                component_name=_name_of(ServiceComponent, "component_versions__component_id"),
            )
            .values_list("reference", "environment_name", "component_name")
            .distinct()[:20]
        )
    else:
        rows = (
            overlapping.filter(practitioners__in=ids)
            .annotate(username=_name_of(get_user_model(), "practitioners", "username"))
            .values_list("reference", "username")
            .distinct()[:20]
        )
    return CompiledQuery(rows, marks=marks, using=using)


def _name_of(model, column: str, field: str = "name") -> Subquery:
    """The `field` of the `model` row whose id is `column` of the outer query, as a sub-query of the row: a join
    more would make PostgreSQL weigh every order of five tables (and the deployments' indexes with each), which took
    longer to plan than the overlaps took to find."""
    return Subquery(model.objects.filter(pk=OuterRef(column)).order_by().values(field)[:1])


def _outer(name: str, depth: int):
    """`name` of the query `depth` levels out."""
    ref = name
    for _ in range(depth):
        ref = OuterRef(ref)
    return ref


def _walk(depth: int):
    """The completed deployments in the environment of the service of the component `depth` levels out that name
    it. Whether one names it is a sub-query of each row, not a join: joined, PostgreSQL started from the component's
    versions (every deployment that ever named it, in any environment) and sorted them, misjudging how many of the
    service's deployments name one of its components."""
    through = Deployment.component_versions.through
    names = through.objects.filter(
        deployment_id=OuterRef("pk"), componentversion__component_id=_outer("pk", depth + 1)
    ).values("componentversion_id")[:1]
    return (
        Deployment.objects.filter(
            service_id=_outer("service_id", depth), environment_id=_ENV, status=workflow.Status.COMPLETED
        )
        .alias(names=Subquery(names))
        .filter(names__isnull=False)
    )


@functools.lru_cache(maxsize=64)
def _current_versions_query(using: str, count: int) -> CompiledQuery:
    """current_versions_in's query for `count` components, made once per process. Each component's last completed
    deployment in the environment, in the matrix's order (latest `actual_end` first, none counting as oldest, then
    the highest id), is found in steps that each read dep_restore in its own order, so that a component costs the
    service's deployments there since it was last deployed (about as many as the service has components), not its
    history: the latest end, walking back from the last deployment to the first that names the component (Limit 1);
    the highest id at that end; and only when no deployment with an end names it, the highest id of those without
    one (the process sets the end of every completed deployment; a row written otherwise may lack it). One walk
    could not do: dep_restore read backwards puts no end first, and it holds no id to break ties."""
    ids, marks = _id_marks(count)
    through = Deployment.component_versions.through
    latest_end = _walk(3).filter(actual_end__isnull=False).order_by("-actual_end").values("actual_end")[:1]
    ended = _walk(2).filter(actual_end=Subquery(latest_end)).order_by("-pk").values("pk")[:1]
    unended = _walk(2).filter(actual_end__isnull=True).order_by("-pk").values("pk")[:1]
    link = (
        through.objects.filter(
            componentversion__component_id=OuterRef("pk"),
            deployment_id=Coalesce(Subquery(ended), Subquery(unended)),
        )
        .order_by("componentversion_id")  # a deployment naming two versions of it: the matrix takes the first
        .values("pk")[:1]
    )
    last = ServiceComponent.objects.filter(pk__in=ids).annotate(link=Subquery(link))
    # DISTINCT keeps the sub-query whole, its links made once a component (pulled up, each was made twice)
    rows = through.objects.filter(pk__in=last.values("link").distinct()).values_list(
        "deployment__action", "componentversion__version", "componentversion__component_id"
    )
    # prepared on each connection: its conditions are equalities, so PostgreSQL's generic plan is the one it would
    # make for any values, and it ran in 0.3 ms where planning it each time took 2 to 2.5 (at one million)
    return CompiledQuery(rows, marks={**marks, "environment": _ENV}, using=using, prepare=True)


def deployment_versions(deployment: Deployment) -> list:
    """The deployment's component versions with their components: the ones its page prefetched, else one query."""
    prefetched = getattr(deployment, "_prefetched_objects_cache", {})
    if "component_versions" in prefetched:
        return list(prefetched["component_versions"])
    return list(deployment.component_versions.select_related("component"))


def deployment_conflicts(deployment: Deployment, *, booked_only: bool = False) -> list[Conflict]:
    """Conflicts of a deployment's plan; `booked_only` counts only approved or running deployments as holding
    their windows (what approval refuses), otherwise pending ones are shown too (what planning warns about)."""
    return plan_conflicts(
        booked_only=booked_only,
        environment=deployment.environment,
        start=deployment.planned_start,
        end=deployment.planned_end,
        versions=deployment_versions(deployment),
        practitioners=list(deployment.practitioners.all()),
        is_rollback=deployment.is_rollback,
        action=deployment.action,
        exclude_pk=deployment.pk,
    )


def start_conflicts(deployment: Deployment, now: datetime) -> list[Conflict]:
    """Starting now: a freeze while it runs (from now, for its planned duration), or outside maintenance windows."""
    # it runs from now for as long as it was planned to take
    duration = (
        deployment.planned_end - deployment.planned_start
        if deployment.planned_start and deployment.planned_end
        else timedelta(hours=1)
    )
    end = now + max(duration, timedelta(minutes=1))
    conflicts = [
        Conflict("freeze", f"Freeze “{hit.window.name}” is in force: {hit.window.reason}")
        for hit in freeze_conflicts(environment=deployment.environment, start=now, end=end)
    ]
    if not maintenance_window_covers(environment=deployment.environment, start=now, end=end):
        conflicts.append(
            Conflict("outside_maintenance", f"{deployment.environment} is outside its maintenance windows now.")
        )
    return conflicts
