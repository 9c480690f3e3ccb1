"""The record reads behind a risk score, as of one moment: only what had finished (or was opened) before it counts,
so a historical deployment is scored on what was known when it was planned. Six queries at most, whatever the
history holds; each narrows by an indexed column (model, service, environment) and the window's dates."""

import datetime as dt

from django.db.models import Count, Q

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


def _failure_counts(qs) -> tuple[int, int]:
    row = qs.aggregate(finished=Count("id"), failed=Count("id", filter=Q(status__in=UNSUCCESSFUL)))
    return row["finished"] or 0, row["failed"] or 0


def _component_record(deployment: Deployment, component_ids: set, as_of: dt.datetime) -> tuple[int, int]:
    """(recent finished deployments of these components, incidents attributed to them and opened before `as_of`)."""
    if not component_ids:
        return 0, 0
    recent = _known(
        Deployment.objects.filter(
            service_id=deployment.service_id,  # a version belongs to its service: the index narrows to it
            component_versions__component_id__in=component_ids,
        ),
        as_of,
        deployment.pk,
    )
    row = recent.aggregate(
        deployments=Count("id", distinct=True),
        incidents=Count(
            "incidents",
            distinct=True,
            filter=Q(incidents__withdrawn_at__isnull=True, incidents__opened_at__lt=as_of),
        ),
    )
    return row["deployments"] or 0, row["incidents"] or 0


def _new_versions(deployment: Deployment, versions: list, as_of: dt.datetime) -> int:
    """How many of the versions never completed a deployment to an environment of this kind before `as_of`."""
    if not versions:
        return 0
    done = set(
        Deployment.component_versions.through.objects.filter(
            componentversion_id__in=[v.pk for v in versions],
            deployment__service_id=deployment.service_id,
            deployment__environment__kind=deployment.environment.kind,
            deployment__status=workflow.Status.COMPLETED,
            deployment__action=Action.DEPLOY,
            deployment__actual_end__lt=as_of,
        )
        .values_list("componentversion_id", flat=True)
        .distinct()
    )
    return sum(1 for v in versions if v.pk not in done)


def _experience(deployment: Deployment, practitioners: list, as_of: dt.datetime) -> tuple:
    """(name, deployments finished in the environment over the past year before `as_of`) per practitioner."""
    if not practitioners:
        return ()
    through = Deployment.practitioners.through
    done = dict(
        through.objects.filter(
            user_id__in=[p.pk for p in practitioners],
            deployment__environment_id=deployment.environment_id,
            deployment__status__in=FINISHED,
            deployment__actual_end__gte=as_of - dt.timedelta(days=EXPERIENCE_DAYS),
            deployment__actual_end__lt=as_of,
        )
        .values("user_id")
        .annotate(n=Count("deployment_id"))
        .values_list("user_id", "n")
    )
    return tuple((p.get_full_name() or p.username, done.get(p.pk, 0)) for p in practitioners)


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
    model_counts = (
        _failure_counts(_known(Deployment.objects.filter(model_id=model.pk), as_of, deployment.pk))
        if model is not None
        else (0, 0)
    )
    service_counts = _failure_counts(
        _known(Deployment.objects.filter(service_id=deployment.service_id), as_of, deployment.pk)
    )
    component_deployments, incidents = _component_record(deployment, {v.component_id for v in versions}, as_of)
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
        model_finished=model_counts[0],
        model_failed=model_counts[1],
        service=deployment.service.name,
        service_finished=service_counts[0],
        service_failed=service_counts[1],
        component_deployments=component_deployments,
        component_incidents=incidents,
        versions=len(versions),
        windowed=windowed,
        freeze=freeze,
        freeze_name=freeze_name,
        maintenance_required=environment.requires_maintenance_window,
        outside_maintenance=outside,
        removal=deployment.action == Action.REMOVE,
        new_versions=0 if deployment.action == Action.REMOVE else _new_versions(deployment, versions, as_of),
        environment=environment.name,
        environment_kind=environment.get_kind_display().lower(),
        practitioners=_experience(deployment, practitioners, as_of),
    )
