"""Keeps the "what is where" snapshot (MatrixEntry): one call when a deployment becomes final, one when a shown field
of a deployment already recorded changes (its release), and a rebuild from the deployments for existing data
(migration, `matrix_snapshot_rebuild`, bench_seed). `_shown` is the one list of what an entry copies."""

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from apps.deployments import workflow

REMOVE = "remove"
BATCH = 5000
SHOWN = ("reference", "actual_end", "released_at", "status")  # the deployment's fields an entry copies (`_shown`)


def _newer(at, pk, than_at, than_pk) -> bool:
    """The matrix's order: latest `actual_end` first (none counts as oldest), then the highest id."""
    if than_pk is None:
        return True
    if at is None or than_at is None:
        return than_at is None and (at is not None or pk > than_pk)
    return (at, pk) > (than_at, than_pk)


def _shown(*, reference, actual_end, released_at, status) -> tuple[dict, dict]:
    """What the page shows of a deployment, as an entry's fields where it is the entry's current and where it is its
    last: every write path copies these (from a deployment, `SHOWN`, or from the rebuild's rows), so the page never
    reads the deployments."""
    current = {"current_reference": reference, "current_at": actual_end, "current_released_at": released_at}
    last = {"last_reference": reference, "last_at": actual_end, "last_status": status}
    return current, last


def _shown_of(deployment) -> tuple[dict, dict]:
    return _shown(**{name: getattr(deployment, name) for name in SHOWN})


def _entry(model, **key):
    entry, _ = model.objects.select_for_update().get_or_create(**key)
    return entry


@transaction.atomic
def matrix_record_final(*, deployment) -> None:
    """Record a deployment that became completed, failed or rolled back in the snapshot. Called by
    `deployment_transition` in the same transaction; a removal that completes clears the version."""
    if deployment.status not in workflow.FINISHED:
        return
    from apps.deployments.models import MatrixEntry

    at, pk = deployment.actual_end, deployment.pk
    shown_current, shown_last = _shown_of(deployment)
    entries = [
        _entry(MatrixEntry, environment_id=deployment.environment_id, service_id=deployment.service_id, component=None)
    ]
    versions = deployment.component_versions.select_related("component").order_by("component_id", "pk")
    placed = {}
    for version in versions:
        placed.setdefault(version.component_id, version)  # one version per component and deployment
    for component_id, version in placed.items():
        entry = _entry(
            MatrixEntry,
            environment_id=deployment.environment_id,
            component_id=component_id,
            defaults={"service_id": version.component.service_id},
        )
        if deployment.status == workflow.Status.COMPLETED and _newer(at, pk, entry.current_at, entry.current_id):
            entry.current_id = pk
            entry.current_version = None if deployment.action == REMOVE else version
        entries.append(entry)
    for entry in entries:
        if _newer(at, pk, entry.last_at, entry.last_id):
            entry.last_id = pk
        # copied whenever the entry names the deployment: a roll-back changes the status of the entries' last
        if entry.current_id == pk:
            _assign(entry, shown_current)
        if entry.last_id == pk:
            _assign(entry, shown_last)
        entry.save()


def _assign(entry, fields: dict) -> None:
    for name, value in fields.items():
        setattr(entry, name, value)


@transaction.atomic
def matrix_record_shown(*, deployment) -> int:
    """Copy what the page shows of `deployment` onto the entries that name it as their current or last, after a shown
    field of a deployment already recorded changed (`deployment_release` sets `released_at`): two UPDATEs through the
    entries' current and last indexes. Returns the entries written."""
    from apps.deployments.models import MatrixEntry

    shown_current, shown_last = _shown_of(deployment)
    current = MatrixEntry.objects.filter(current_id=deployment.pk).update(**shown_current)
    return current + MatrixEntry.objects.filter(last_id=deployment.pk).update(**shown_last)


def _ranked(qs, partition, order):
    return qs.annotate(rank=Window(RowNumber(), partition_by=partition, order_by=order)).filter(rank=1)


def matrix_snapshot_rebuild(*, apps=global_apps, label: str = "deployments.MatrixEntry") -> int:
    """Rebuild every MatrixEntry from the deployments (five queries and batched inserts); returns the rows made."""
    Deployment = apps.get_model("deployments", "Deployment")
    MatrixEntry = apps.get_model(label)  # "reports.MatrixEntry" in migrations before the snapshot moved
    ServiceComponent = apps.get_model("catalog", "ServiceComponent")
    through = Deployment.component_versions.through
    service_of = dict(ServiceComponent.objects.values_list("pk", "service_id"))
    finished = Deployment.objects.filter(status__in=workflow.FINISHED).order_by()
    order = [F("deployment__actual_end").desc(nulls_last=True), F("deployment_id").desc()]
    env, comp = F("deployment__environment_id"), F("componentversion__component_id")
    # on the models of a migration from before the copies (reports 0004's rebuild, whose Deployment had no
    # released_at) only the times are read; the other copies stay plain attributes, which bulk_create leaves out
    names = SHOWN if any(f.name == "last_status" for f in MatrixEntry._meta.fields) else ("actual_end",)
    shown = [f"deployment__{name}" for name in names]

    def copy(entry, values, part: int) -> None:
        _assign(entry, _shown(**{**dict.fromkeys(SHOWN), **dict(zip(names, values, strict=True))})[part])

    by_service = _ranked(
        finished, [F("environment_id"), F("service_id")], [F("actual_end").desc(nulls_last=True), F("id").desc()]
    ).values_list("environment_id", "service_id", "id", *names)
    last = _ranked(
        through.objects.filter(deployment__status__in=workflow.FINISHED).annotate(env=env, comp=comp),
        [env, comp],
        order,
    ).values_list("env", "comp", "deployment_id", *shown)
    current = _ranked(
        through.objects.filter(deployment__status=workflow.Status.COMPLETED).annotate(env=env, comp=comp),
        [env, comp],
        order,
    ).values_list("env", "comp", "deployment_id", "componentversion_id", "deployment__action", *shown)
    rows = {}
    for env_id, component_id, pk, *values in last:
        entry = MatrixEntry(
            environment_id=env_id, service_id=service_of[component_id], component_id=component_id, last_id=pk
        )
        copy(entry, values, 1)
        rows[env_id, component_id] = entry
    for env_id, component_id, pk, version_id, action, *values in current:
        entry = rows[env_id, component_id]
        entry.current_id = pk
        entry.current_version_id = None if action == REMOVE else version_id
        copy(entry, values, 0)
    made = list(rows.values())
    for env_id, service_id, pk, *values in by_service:
        made.append(MatrixEntry(environment_id=env_id, service_id=service_id, last_id=pk))
        copy(made[-1], values, 1)
    with transaction.atomic():
        MatrixEntry.objects.all().delete()
        MatrixEntry.objects.bulk_create(made, batch_size=BATCH)
    return len(made)
