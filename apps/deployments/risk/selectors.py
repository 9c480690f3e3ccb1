"""The record reads behind a risk score, as of one moment: only what had finished (or was opened) before it counts,
so a historical deployment is scored on what was known when it was planned. Three queries at most, whatever the
history holds: the counts (failure rates, the components' incidents, the versions done, the practitioners'
experience — its whole days from the counts kept per practitioner, environment and day, the two days the year's
bounds cut through from the deployments —, the freeze windows near) in one, each of its parts narrowed by an indexed
column (model, service, environment, practitioner) and the window's dates; the freezes' occurrences when a freeze
window is near; the maintenance windows when the environment requires one."""

import datetime as dt
import functools
from dataclasses import dataclass

from django.db import router
from django.db.models import BigIntegerField, Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast

from apps.catalog.models import ComponentVersion
from apps.core.compiled import CompiledCrossJoin
from apps.deployments import workflow
from apps.deployments.models import Action, Deployment, DeploymentPractitionerCount, IncidentLink
from apps.deployments.risk.score import EXPERIENCE_DAYS, NEAR_FREEZE_HOURS, WINDOW_DAYS, RiskInputs
from apps.environments.models import Environment
from apps.environments.selectors import freeze_conflicts, freeze_windows_during, maintenance_window_covers

FINISHED = workflow.FINISHED
UNSUCCESSFUL = workflow.UNSUCCESSFUL


@dataclass(frozen=True)
class _Facts:
    """What the counts are asked about: the plan's service, model, environment (and its kind), its own id (left out
    of its record), its components, versions and practitioners, and the moment."""

    service_id: int
    model_id: int | None
    environment_id: int
    kind: str
    exclude_pk: int | None
    component_ids: tuple
    version_ids: tuple
    user_ids: tuple
    as_of: dt.datetime
    freeze_start: dt.datetime | None = None  # the planned window widened by NEAR_FREEZE_HOURS (None: no window)
    freeze_end: dt.datetime | None = None

    @property
    def shape(self) -> tuple:
        """What the text of the counts' query depends on (the values are its parameters)."""
        return (
            self.model_id is not None,
            bool(self.exclude_pk),
            len(self.component_ids),
            len(self.version_ids),
            len(self.user_ids),
            self.freeze_start is not None,
        )


def _known(qs, as_of: dt.datetime, exclude_pk: int | None):
    """Deployments planned to start in the window before `as_of` that had finished by then."""
    since = as_of - dt.timedelta(days=WINDOW_DAYS)
    qs = qs.filter(status__in=FINISHED, planned_start__gte=since, planned_start__lt=as_of, actual_end__lt=as_of)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs


def _one_row(qs, **aggregates):
    """`qs.aggregate(**aggregates)` as a query not yet run: grouped by a constant, which Django leaves out of the SQL,
    so it is one row whatever matches (zeros when nothing does), to be read with others in one round trip."""
    one = Value(1, output_field=IntegerField())
    return qs.order_by().annotate(one=one).values("one").annotate(**aggregates).values(*aggregates)


def _failure_counts(qs, prefix: str):
    return _one_row(
        qs,
        **{f"{prefix}_finished": Count("id"), f"{prefix}_failed": Count("id", filter=Q(status__in=UNSUCCESSFUL))},
    )


def _component_record(f: _Facts):
    """Recent finished deployments of these components, and incidents attributed to them and opened before `as_of`
    (None without components: both are 0). The deployments are the service's recent ones that have a version of a
    component among their versions (a semi-join: each counted once), the incidents counted per deployment: no
    DISTINCT over a join, and a statement whose generic plan reads what its custom plans read (see `_counts_query`)."""
    if not f.component_ids:
        return None
    of_components = Deployment.component_versions.through.objects.filter(
        componentversion_id__in=ComponentVersion.objects.filter(component_id__in=f.component_ids).values("pk")
    ).values("deployment_id")
    recent = _known(
        Deployment.objects.filter(service_id=f.service_id, pk__in=of_components),  # the service's index narrows
        f.as_of,
        f.exclude_pk,
    )
    incidents = (
        IncidentLink.objects.filter(deployment_id=OuterRef("pk"), withdrawn_at__isnull=True, opened_at__lt=f.as_of)
        .order_by()
        .values("deployment_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return _one_row(
        recent,
        component_deployments=Count("id"),
        # a sum of counts is a numeric in PostgreSQL: cast back to a whole number
        component_incidents=Cast(Sum(Subquery(incidents, output_field=BigIntegerField())), BigIntegerField()),
    )


def _versions_done(f: _Facts):
    """Per version (a column `version_<i>` for the i-th of `version_ids`): 1 if it was in a completed deployment of the
    service to an environment of this kind before `as_of`, else 0 (None without versions). Whether, not how many: each
    version's deployments are read until the first that counts, not all of them (a version deployed again and again
    would otherwise be read whole by every plan naming it)."""
    if not f.version_ids:
        return None
    of_kind = Environment.objects.filter(kind=f.kind).values("pk")

    def done(version_id: int) -> Exists:
        return Exists(
            Deployment.component_versions.through.objects.filter(
                componentversion_id=version_id,
                deployment__service_id=f.service_id,
                deployment__environment_id__in=of_kind,
                deployment__status=workflow.Status.COMPLETED,
                deployment__action=Action.DEPLOY,
                deployment__actual_end__lt=f.as_of,
            )
        )

    # each version's question on its own (not correlated with the versions' rows): planned once, not per row
    versions = ComponentVersion.objects.filter(pk__in=f.version_ids)
    return _one_row(
        versions,
        **{f"version_{i}": Count("pk", filter=Q(done(pk), pk=pk)) for i, pk in enumerate(f.version_ids)},
    )


def _experience_bounds(as_of: dt.datetime) -> dict:
    """The year before `as_of` cut at UTC midnights: its first and last days (those of its bounds), the end of the
    first and the start of the last. The days strictly between are whole days of the year."""
    year_ago = as_of - dt.timedelta(days=EXPERIENCE_DAYS)
    first_day, last_day = year_ago.astimezone(dt.UTC).date(), as_of.astimezone(dt.UTC).date()
    midnight = dt.time(tzinfo=dt.UTC)
    return {
        "year_ago": year_ago,
        "first_day": first_day,
        "first_day_end": dt.datetime.combine(first_day + dt.timedelta(days=1), midnight),
        "last_day": last_day,
        "last_day_start": dt.datetime.combine(last_day, midnight),
    }


def _experience(f: _Facts):
    """Per practitioner (a column `practitioner_<i>` for the i-th of `user_ids`): deployments finished in the
    environment on the whole days of the past year before `as_of`, from the kept counts (a row per practitioner and
    day, at most 365 each, however many deployments there are); `_experience_edges` adds the two days the year's
    bounds cut through (None without practitioners)."""
    if not f.user_ids:
        return None
    bounds = _experience_bounds(f.as_of)
    kept = DeploymentPractitionerCount.objects.filter(
        user_id__in=f.user_ids,
        environment_id=f.environment_id,
        day__gt=bounds["first_day"],
        day__lt=bounds["last_day"],
    )
    return _one_row(
        kept,
        **{f"practitioner_{i}": Sum("deployments", filter=Q(user_id=pk)) for i, pk in enumerate(f.user_ids)},
    )


def _experience_edges(f: _Facts):
    """Per practitioner (`practitioner_edge_<i>`): deployments finished in the environment from the year's start to
    the end of its first day, and from the start of `as_of`'s day to `as_of`, counted from the deployments (two
    days' worth), so that with `_experience` the count is exactly that of the year before `as_of`, to the
    microsecond (None without practitioners)."""
    if not f.user_ids:
        return None
    bounds = _experience_bounds(f.as_of)
    end = "deployment__actual_end"
    # the two days are the way in (the finished deployments' ends, `dep_status_end`), whatever the values: the
    # environment is compared as an expression, which no index serves. Compared as its column, a plan made without
    # the values (the prepared statement's generic plan) cannot know the days are narrow and read the environment's
    # whole index beside them: 4-9 ms against 0.2 at one million
    done = Deployment.practitioners.through.objects.alias(
        environment_unindexed=F("deployment__environment_id") + 0
    ).filter(
        Q(**{f"{end}__gte": bounds["year_ago"], f"{end}__lt": bounds["first_day_end"]})
        | Q(**{f"{end}__gte": bounds["last_day_start"], f"{end}__lt": f.as_of}),
        user_id__in=f.user_ids,
        environment_unindexed=f.environment_id,
        deployment__status__in=FINISHED,
    )
    return _one_row(
        done,
        **{f"practitioner_edge_{i}": Count("deployment_id", filter=Q(user_id=pk)) for i, pk in enumerate(f.user_ids)},
    )


def _freeze_windows(f: _Facts):
    """How many freeze windows may have an occurrence near the planned window (None without a window): with none,
    there is no freeze to expand into occurrences."""
    if f.freeze_start is None:
        return None
    windows = freeze_windows_during(environment=f.environment_id, start=f.freeze_start, end=f.freeze_end)
    return _one_row(windows, freeze_windows=Count("pk"))


def _counts_parts(f: _Facts) -> list:
    """The one-row aggregates behind the score: the service's and the model's failure counts, the components'
    record, the versions done, the practitioners' experience (whole days kept, the two edge days counted) and the
    freeze windows near (those that apply)."""
    parts = [
        _failure_counts(_known(Deployment.objects.filter(service_id=f.service_id), f.as_of, f.exclude_pk), "service"),
        _failure_counts(_known(Deployment.objects.filter(model_id=f.model_id), f.as_of, f.exclude_pk), "model")
        if f.model_id is not None
        else None,
        _component_record(f),
        _versions_done(f),
        _experience(f),
        _experience_edges(f),
        _freeze_windows(f),
    ]
    return [part for part in parts if part is not None]


# the stand-ins the counts' query is compiled with (CompiledCrossJoin's marks): values unlike any constant of the query
# (negative ids, as no row has, small enough for any integer column; a kind no environment has; moments in 1970 —
# `as_of` at noon, so that neither it nor the year before it falls on the midnights the experience's days are cut at)
_STAND_IN_AS_OF = dt.datetime(1970, 1, 10, 12, tzinfo=dt.UTC)
_STAND_IN_WINDOW = (dt.datetime(1970, 2, 1, tzinfo=dt.UTC), dt.datetime(1970, 3, 1, tzinfo=dt.UTC))
_STAND_IN_KIND = "(placeholder kind)"


def _marks(f: _Facts) -> dict:
    """The values the counts' query for plans of `f`'s shape filters on, by name."""
    marks = {"service": f.service_id, "as_of": f.as_of, "since": f.as_of - dt.timedelta(days=WINDOW_DAYS)}
    if f.model_id is not None:
        marks["model"] = f.model_id
    if f.exclude_pk:
        marks["pk"] = f.exclude_pk
    marks |= {f"component_{i}": pk for i, pk in enumerate(f.component_ids)}
    if f.version_ids:
        marks |= {"kind": f.kind, **{f"version_{i}": pk for i, pk in enumerate(f.version_ids)}}
    if f.user_ids:
        marks |= {"environment": f.environment_id, **_experience_bounds(f.as_of)}
        marks |= {f"user_{i}": pk for i, pk in enumerate(f.user_ids)}
    if f.freeze_start is not None:
        marks |= {"environment": f.environment_id, "freeze_start": f.freeze_start, "freeze_end": f.freeze_end}
    return marks


def next_id_sql() -> str:
    """A column giving the next value of the deployments' id sequence (PostgreSQL)."""
    return f"nextval(pg_get_serial_sequence('{Deployment._meta.db_table}', 'id')) AS {NEXT_ID}"


NEXT_ID = "next_deployment_id"


@functools.lru_cache(maxsize=256)
def _counts_query(shape: tuple, using: str, next_id: bool = False) -> CompiledCrossJoin:
    """The counts' query for plans of one shape, built and compiled once per process and shape (the ORM took longer
    to build and compile its parts than the database to run them); with `next_id`, its row also takes the next
    deployment id (`NEXT_ID`).

    Prepared (PostgreSQL plans it once per connection, then runs its generic plan: planning took 1.4 ms of the 1.75
    it cost at one million). The parts are written for a generic plan that reads what a plan made for the values
    reads: each version's question on its own, the components' deployments as a semi-join, the experience's edge
    days found by their ends alone (see `_component_record`, `_versions_done` and `_experience_edges`)."""
    has_model, excluding, components, versions, users, windowed = shape
    ids = iter(range(-1, -(10**4), -1))
    stand_in = _Facts(
        service_id=next(ids),
        model_id=next(ids) if has_model else None,
        environment_id=next(ids),
        kind=_STAND_IN_KIND,
        exclude_pk=next(ids) if excluding else None,
        component_ids=tuple(next(ids) for _ in range(components)),
        version_ids=tuple(next(ids) for _ in range(versions)),
        user_ids=tuple(next(ids) for _ in range(users)),
        as_of=_STAND_IN_AS_OF,
        freeze_start=_STAND_IN_WINDOW[0] if windowed else None,
        freeze_end=_STAND_IN_WINDOW[1] if windowed else None,
    )
    also = next_id_sql() if next_id else ""
    return CompiledCrossJoin(_counts_parts(stand_in), marks=_marks(stand_in), using=using, also=also, prepare=True)


def _counts(f: _Facts, *, next_id: bool = False) -> dict:
    """The counts for `f` in one query: each column by its aggregate's name (and `NEXT_ID` with `next_id`)."""
    return _counts_query(f.shape, router.db_for_read(Deployment), next_id).row(**_marks(f))


def _freeze(deployment: Deployment) -> tuple[str, str]:
    """("inside" | "near" | "", the freeze's name) for the planned window."""
    start, end = deployment.planned_start, deployment.planned_end
    near = dt.timedelta(hours=NEAR_FREEZE_HOURS)
    hits = freeze_conflicts(environment=deployment.environment, start=start - near, end=end + near)
    inside = [h for h in hits if h.start < end and start < h.end]
    if inside:
        return "inside", inside[0].window.name
    if hits:
        return "near", hits[0].window.name
    return "", ""


def risk_inputs(
    *,
    deployment: Deployment,
    as_of: dt.datetime,
    versions: list | None = None,
    practitioners: list | None = None,
    next_id: bool = False,
) -> RiskInputs:
    """What the records say about `deployment` as of `as_of`. `versions` (with their components) and
    `practitioners` may be given when the caller holds them (a plan not yet written); otherwise they are read.
    With `next_id` (PostgreSQL), the counts' round trip also takes the next deployment id from the sequence, given
    as the inputs' `next_id` (a plan about to be written needs it; one round trip instead of two)."""
    if versions is None:
        versions = list(deployment.component_versions.all())
    if practitioners is None:
        practitioners = list(deployment.practitioners.all())
    model = deployment.model if deployment.model_id else None
    windowed = bool(
        deployment.planned_start and deployment.planned_end and deployment.planned_end > deployment.planned_start
    )
    near = dt.timedelta(hours=NEAR_FREEZE_HOURS)
    # the counts, the components' record, the versions done, the practitioners' experience and whether any freeze
    # window is near: one query
    version_ids = tuple(dict.fromkeys(v.pk for v in versions))
    user_ids = tuple(dict.fromkeys(p.pk for p in practitioners))
    removal = deployment.action == Action.REMOVE
    counts = _counts(
        _Facts(
            service_id=deployment.service_id,
            model_id=model.pk if model is not None else None,
            environment_id=deployment.environment_id,
            kind=deployment.environment.kind,
            exclude_pk=deployment.pk,
            component_ids=tuple(sorted({v.component_id for v in versions})),
            version_ids=() if removal else version_ids,
            user_ids=user_ids,
            as_of=as_of,
            freeze_start=deployment.planned_start - near if windowed else None,
            freeze_end=deployment.planned_end + near if windowed else None,
        ),
        next_id=next_id,
    )
    done = set() if removal else {pk for i, pk in enumerate(version_ids) if counts[f"version_{i}"]}
    experience = {
        pk: (counts[f"practitioner_{i}"] or 0) + counts[f"practitioner_edge_{i}"] for i, pk in enumerate(user_ids)
    }
    environment = deployment.environment
    # the freezes' occurrences are worked out only when a freeze window is near (most plans have none)
    freeze, freeze_name = _freeze(deployment) if windowed and counts["freeze_windows"] else ("", "")
    outside = windowed and not maintenance_window_covers(
        environment=environment, start=deployment.planned_start, end=deployment.planned_end
    )
    return RiskInputs(
        model=f"{model.name} v{model.version}" if model is not None else "",
        model_finished=counts.get("model_finished") or 0,
        model_failed=counts.get("model_failed") or 0,
        service=deployment.service.name,
        service_finished=counts["service_finished"] or 0,
        service_failed=counts["service_failed"] or 0,
        component_deployments=counts.get("component_deployments") or 0,
        component_incidents=counts.get("component_incidents") or 0,
        versions=len(versions),
        windowed=windowed,
        freeze=freeze,
        freeze_name=freeze_name,
        maintenance_required=environment.requires_maintenance_window,
        outside_maintenance=outside,
        removal=removal,
        new_versions=0 if removal else sum(1 for v in versions if v.pk not in done),
        environment=environment.name,
        environment_kind=environment.get_kind_display().lower(),
        practitioners=tuple((p.get_full_name() or p.username, experience[p.pk]) for p in practitioners),
        next_id=counts.get(NEXT_ID),
    )
