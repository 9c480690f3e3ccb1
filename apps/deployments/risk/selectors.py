"""The record reads behind a risk score, as of one moment: only what had finished (or was opened) before it counts,
so a historical deployment is scored on what was known when it was planned. Three queries at most, whatever the
history holds: the counts (failure rates, the components' incidents, the versions done, the practitioners'
experience) in one, each of its parts narrowed by an indexed column (model, service, environment) and the window's
dates; the freezes; the maintenance windows when the environment requires one."""

import datetime as dt

from django.db import connections, router
from django.db.models import Count, IntegerField, Q, Value

from apps.deployments import workflow
from apps.deployments.models import Action, Deployment
from apps.deployments.risk.score import EXPERIENCE_DAYS, NEAR_FREEZE_HOURS, WINDOW_DAYS, RiskInputs
from apps.environments.selectors import freeze_conflicts, maintenance_window_covers

FINISHED = workflow.FINISHED
UNSUCCESSFUL = workflow.UNSUCCESSFUL


def _known(qs, as_of: dt.datetime, exclude_pk: int | None, prefix: str = ""):
    """Deployments planned to start in the window before `as_of` that had finished by then."""
    since = as_of - dt.timedelta(days=WINDOW_DAYS)
    qs = qs.filter(
        **{
            f"{prefix}status__in": FINISHED,
            f"{prefix}planned_start__gte": since,
            f"{prefix}planned_start__lt": as_of,
            f"{prefix}actual_end__lt": as_of,
        }
    )
    return qs.exclude(**{f"{prefix}pk": exclude_pk}) if exclude_pk else qs


def _one_row(qs, **aggregates):
    """`qs.aggregate(**aggregates)` as a query not yet run: grouped by a constant, which Django leaves out of the SQL,
    so it is one row whatever matches (zeros when nothing does), to be read with others in one round trip."""
    one = Value(1, output_field=IntegerField())
    return qs.order_by().annotate(one=one).values("one").annotate(**aggregates).values(*aggregates)


def _read_rows(parts: list) -> dict:
    """The one-row aggregate querysets `parts` read in a single query (their derived tables crossed): each column by
    its aggregate's name (the names are distinct across the parts)."""
    sql, params = [], []
    for i, qs in enumerate(parts):
        text, values = qs.query.sql_with_params()
        sql.append(f"({text}) r{i}")
        params += values
    with connections[router.db_for_read(Deployment)].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {' CROSS JOIN '.join(sql)}", params)  # noqa: S608 (the ORM's compiled SQL)
        return dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))


def _failure_counts(qs, prefix: str):
    return _one_row(
        qs,
        **{f"{prefix}_finished": Count("id"), f"{prefix}_failed": Count("id", filter=Q(status__in=UNSUCCESSFUL))},
    )


def _component_record(deployment: Deployment, component_ids: set, as_of: dt.datetime):
    """Recent finished deployments of these components, and incidents attributed to them and opened before `as_of`
    (None without components: both are 0)."""
    if not component_ids:
        return None
    recent = _known(
        Deployment.objects.filter(
            service_id=deployment.service_id,  # a version belongs to its service: the index narrows to it
            component_versions__component_id__in=component_ids,
        ),
        as_of,
        deployment.pk,
    )
    return _one_row(
        recent,
        component_deployments=Count("id", distinct=True),
        component_incidents=Count(
            "incidents",
            distinct=True,
            filter=Q(incidents__withdrawn_at__isnull=True, incidents__opened_at__lt=as_of),
        ),
    )


def _versions_done(deployment: Deployment, version_ids: list[int], as_of: dt.datetime):
    """Per version (a column `version_<i>` for the i-th of `version_ids`): how many completed deployments to an
    environment of this kind before `as_of` it was in (None without versions)."""
    if not version_ids:
        return None
    done = Deployment.component_versions.through.objects.filter(
        componentversion_id__in=version_ids,
        deployment__service_id=deployment.service_id,
        deployment__environment__kind=deployment.environment.kind,
        deployment__status=workflow.Status.COMPLETED,
        deployment__action=Action.DEPLOY,
        deployment__actual_end__lt=as_of,
    )
    return _one_row(
        done, **{f"version_{i}": Count("pk", filter=Q(componentversion_id=pk)) for i, pk in enumerate(version_ids)}
    )


def _experience(deployment: Deployment, user_ids: list[int], as_of: dt.datetime):
    """Per practitioner (a column `practitioner_<i>` for the i-th of `user_ids`): deployments finished in the
    environment over the past year before `as_of` (None without practitioners)."""
    if not user_ids:
        return None
    through = Deployment.practitioners.through
    done = through.objects.filter(
        user_id__in=user_ids,
        deployment__environment_id=deployment.environment_id,
        deployment__status__in=FINISHED,
        deployment__actual_end__gte=as_of - dt.timedelta(days=EXPERIENCE_DAYS),
        deployment__actual_end__lt=as_of,
    )
    return _one_row(
        done,
        **{f"practitioner_{i}": Count("deployment_id", filter=Q(user_id=pk)) for i, pk in enumerate(user_ids)},
    )


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
) -> RiskInputs:
    """What the records say about `deployment` as of `as_of`. `versions` (with their components) and
    `practitioners` may be given when the caller holds them (a plan not yet written); otherwise they are read."""
    if versions is None:
        versions = list(deployment.component_versions.all())
    if practitioners is None:
        practitioners = list(deployment.practitioners.all())
    model = deployment.model if deployment.model_id else None
    # the counts, the components' record, the versions done and the practitioners' experience: one query
    version_ids = list(dict.fromkeys(v.pk for v in versions))
    user_ids = list(dict.fromkeys(p.pk for p in practitioners))
    removal = deployment.action == Action.REMOVE
    parts = [
        _failure_counts(
            _known(Deployment.objects.filter(service_id=deployment.service_id), as_of, deployment.pk), "service"
        ),
        _failure_counts(_known(Deployment.objects.filter(model_id=model.pk), as_of, deployment.pk), "model")
        if model is not None
        else None,
        _component_record(deployment, {v.component_id for v in versions}, as_of),
        None if removal else _versions_done(deployment, version_ids, as_of),
        _experience(deployment, user_ids, as_of),
    ]
    counts = _read_rows([part for part in parts if part is not None])
    done = set() if removal else {pk for i, pk in enumerate(version_ids) if counts[f"version_{i}"]}
    experience = {pk: counts[f"practitioner_{i}"] for i, pk in enumerate(user_ids)}
    environment = deployment.environment
    windowed = bool(
        deployment.planned_start and deployment.planned_end and deployment.planned_end > deployment.planned_start
    )
    freeze, freeze_name = _freeze(deployment) if windowed else ("", "")
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
    )
