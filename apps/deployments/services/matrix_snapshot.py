"""Keeps the "what is where" snapshot (MatrixEntry): one call when a deployment becomes final, and a rebuild from
the deployments for existing data (migration, `matrix_snapshot_rebuild`, bench_seed)."""

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from apps.deployments import workflow

REMOVE = "remove"
BATCH = 5000


def _newer(at, pk, than_at, than_pk) -> bool:
    """The matrix's order: latest `actual_end` first (none counts as oldest), then the highest id."""
    if than_pk is None:
        return True
    if at is None or than_at is None:
        return than_at is None and (at is not None or pk > than_pk)
    return (at, pk) > (than_at, than_pk)


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
            entry.current_id, entry.current_at = pk, at
            entry.current_version = None if deployment.action == REMOVE else version
        entries.append(entry)
    for entry in entries:
        if _newer(at, pk, entry.last_at, entry.last_id):
            entry.last_id, entry.last_at = pk, at
        entry.save()


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
    by_service = _ranked(
        finished, [F("environment_id"), F("service_id")], [F("actual_end").desc(nulls_last=True), F("id").desc()]
    ).values_list("environment_id", "service_id", "id", "actual_end")
    last = _ranked(
        through.objects.filter(deployment__status__in=workflow.FINISHED).annotate(env=env, comp=comp),
        [env, comp],
        order,
    ).values_list("env", "comp", "deployment_id", "deployment__actual_end")
    current = _ranked(
        through.objects.filter(deployment__status=workflow.Status.COMPLETED).annotate(env=env, comp=comp),
        [env, comp],
        order,
    ).values_list("env", "comp", "deployment_id", "deployment__actual_end", "componentversion_id", "deployment__action")
    rows = {}
    for env_id, component_id, pk, at in last:
        rows[env_id, component_id] = MatrixEntry(
            environment_id=env_id,
            service_id=service_of[component_id],
            component_id=component_id,
            last_id=pk,
            last_at=at,
        )
    for env_id, component_id, pk, at, version_id, action in current:
        entry = rows[env_id, component_id]
        entry.current_id, entry.current_at = pk, at
        entry.current_version_id = None if action == REMOVE else version_id
    made = list(rows.values()) + [
        MatrixEntry(environment_id=env_id, service_id=service_id, last_id=pk, last_at=at)
        for env_id, service_id, pk, at in by_service
    ]
    with transaction.atomic():
        MatrixEntry.objects.all().delete()
        MatrixEntry.objects.bulk_create(made, batch_size=BATCH)
    return len(made)
