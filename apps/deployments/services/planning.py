"""Planning writes: create a deployment, edit its plan (an approval holds only for the plan it approved)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from apps.core.exceptions import ConflictError
from apps.deployment_models.models import ModelStatus
from apps.deployments import workflow
from apps.deployments.models import Deployment, EventKind, IdempotencyKey
from apps.deployments.permissions import is_manager, may_edit, may_request_for_service
from apps.deployments.services.events import Context, event_record
from apps.reports.audit import atomic_audited

PLAN_FIELDS = ("planned_start", "planned_end", "environment", "component_versions")
EDITABLE_FIELDS = (
    "title",
    "action",
    "trigger",
    "model",
    "service",
    "environment",
    "component_versions",
    "change_ref",
    "release_ref",
    "manager",
    "practitioners",
    "supplier",
    "planned_start",
    "planned_end",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "handover_note",
    "outcome",
)
MANAGER_ONLY_FIELDS = ("manager", "practitioners")


def _validate_plan(deployment: Deployment, versions, model) -> None:
    errors = {}
    for version in versions:
        if version.component.service_id != deployment.service_id:
            errors.setdefault("component_versions", []).append(
                f"{version} belongs to {version.component.service}, not to {deployment.service}."
            )
    if model is not None:
        if model.status not in (ModelStatus.ACTIVE, ModelStatus.PILOT):
            errors["model"] = [f"{model} is {model.get_status_display().lower()}; choose an active or pilot model."]
        elif deployment.environment_id and not model.stages.filter(environment_id=deployment.environment_id).exists():
            errors["environment"] = [f"{model} has no stage in {deployment.environment}."]
        types = set(model.component_types or [])
        for version in versions:
            if types and version.component.type not in types:
                errors.setdefault("component_versions", []).append(
                    f"{model} does not cover {version.component.get_type_display().lower()} components ({version})."
                )
    if errors:
        raise ValidationError(errors)


def _stage_for(deployment: Deployment):
    if deployment.model_id is None:
        return None
    return deployment.model.stages.filter(environment_id=deployment.environment_id).first()


def _sync_practitioner_permissions(deployment: Deployment, before: set[int], after_users) -> None:
    after = {u.pk for u in after_users}
    for user in after_users:
        if user.pk not in before:
            assign_perm("deployments.execute_deployment", user, deployment)
    if before - after:
        from apps.accounts.models import User

        for user in User.objects.filter(pk__in=before - after):
            remove_perm("deployments.execute_deployment", user, deployment)


def _remember(deployment: Deployment, **related) -> None:
    """Keep the many-to-many values just written on the instance, as a prefetch would, so reading them back
    (e.g. to answer the API call) costs no query."""
    cache = deployment.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, objects in related.items():
        queryset = getattr(deployment, name).all()
        queryset._result_cache = list(objects)
        queryset._prefetch_done = True
        cache[name] = queryset


def _reserve_id() -> int | None:
    """The next deployment id from PostgreSQL's sequence (None elsewhere: the insert assigns it)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('deployments_deployment', 'id'))")
        return cursor.fetchone()[0]


@atomic_audited
def deployment_create(*, ctx: Context, data: dict, idempotency_key: str = "") -> Deployment:
    """Plan a new deployment as a draft. `data` holds model fields; m2m as lists of objects.

    With an `idempotency_key`, a retried call by the same user returns the deployment the first call created.
    """
    actor = ctx.actor
    if idempotency_key:
        existing = IdempotencyKey.objects.filter(user=actor, key=idempotency_key).select_related("deployment").first()
        if existing:
            return existing.deployment
    service = data.get("service")
    if service is None:
        raise ValidationError({"service": "Choose the service the deployment is for."})
    if not may_request_for_service(actor, service):
        raise PermissionDenied(f"You may not request deployments for {service}.")
    versions = list(data.get("component_versions") or [])
    practitioners = list(data.get("practitioners") or [])
    if practitioners and not is_manager(actor) and ctx.channel != "api":
        practitioners = []  # assignment is the manager's; a requester's suggestion is ignored on pages
    scalar = {
        k: v
        for k, v in data.items()
        if k in (*EDITABLE_FIELDS, "external_id") and k not in ("component_versions", "practitioners")
    }
    deployment = Deployment(requester=actor, **scalar)
    loaded = [name for name, value in scalar.items() if isinstance(value, models.Model)]  # read from the database
    deployment.full_clean(exclude=["reference", "requester", *loaded])
    _validate_plan(deployment, versions, deployment.model)
    deployment.stage = _stage_for(deployment)
    deployment.pk = _reserve_id()
    if deployment.pk is not None:  # the reference is in the first insert, so its history (and audit) names it
        deployment.reference = Deployment.reference_for(deployment.pk)
        deployment.save(force_insert=True)
    else:
        deployment.save()
        deployment.reference = Deployment.reference_for(deployment.pk)
        deployment.save(update_fields=["reference"])  # recorded in the history, so the audit trail names it
    if versions:
        deployment.component_versions.add(*versions)
    if practitioners:
        deployment.practitioners.set(practitioners)
        _sync_practitioner_permissions(deployment, set(), practitioners)
    if idempotency_key:
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(user=actor, key=idempotency_key, deployment=deployment)
        except IntegrityError as exc:
            raise ConflictError("A request with this Idempotency-Key is being processed.", code="idempotency") from exc
    _remember(deployment, component_versions=versions, practitioners=practitioners)
    event_record(
        deployment=deployment,
        ctx=ctx,
        kind=EventKind.CREATED,
        to_status=deployment.status,
        comment=f"{deployment.get_action_display()} planned in {deployment.environment}.",
    )
    return deployment


@atomic_audited
def deployment_update(*, ctx: Context, deployment: Deployment, data: dict, expected_version: int | None) -> Deployment:
    """Edit a deployment. A stale `expected_version` is refused (409) and the first save kept; changing the plan
    of an approved deployment sends it back for approval and supersedes the approvals it had."""
    actor = ctx.actor
    locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.reference} was changed by someone else since you opened it (version {expected_version}, "
            f"now {locked.version}). Reload it and make your change again.",
            code="stale_version",
        )
    if not may_edit(actor, locked):
        if locked.status in workflow.FINAL or locked.status not in (
            workflow.Status.DRAFT,
            workflow.Status.PENDING_APPROVAL,
            workflow.Status.APPROVED,
        ):
            raise ConflictError(
                f"{locked.reference} is {locked.get_status_display().lower()} and can no longer be edited.",
                code="not_editable",
            )
        raise PermissionDenied("You may not edit this deployment.")
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if not is_manager(actor) and set(data) & set(MANAGER_ONLY_FIELDS):
        raise PermissionDenied("Only a deployment manager assigns the manager and the practitioners.")
    before_versions = set(locked.component_versions.values_list("pk", flat=True))
    before_practitioners = set(locked.practitioners.values_list("pk", flat=True))
    before = {
        f: getattr(locked, f + ("_id" if f in ("environment", "model", "service") else "")) for f in PLAN_FIELDS[:2]
    }
    before_env = locked.environment_id
    changed = []
    for field, value in data.items():
        if field in ("component_versions", "practitioners"):
            continue
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    versions = (
        list(data["component_versions"]) if "component_versions" in data else list(locked.component_versions.all())
    )
    locked.full_clean(exclude=["reference"])
    _validate_plan(locked, versions, locked.model)
    locked.stage = _stage_for(locked)
    versions_changed = "component_versions" in data and {v.pk for v in versions} != before_versions
    practitioners = data.get("practitioners")
    practitioners_changed = practitioners is not None and {u.pk for u in practitioners} != before_practitioners
    plan_changed = (
        versions_changed
        or locked.environment_id != before_env
        or any(getattr(locked, f) != before[f] for f in ("planned_start", "planned_end"))
    )
    if not changed and not versions_changed and not practitioners_changed:
        return locked
    from_status = locked.status
    if plan_changed and locked.status == workflow.Status.APPROVED:
        locked.status = workflow.Status.PENDING_APPROVAL
        locked.approved_at = None
    if plan_changed:
        locked.approvals.filter(superseded=False).update(superseded=True)
    locked.version += 1
    locked.save()
    if versions_changed:
        locked.component_versions.set(versions)
        if locked.status in (workflow.Status.APPROVED, workflow.Status.PENDING_APPROVAL):
            locked.checks.filter(result="pending").delete()
    if practitioners_changed:
        locked.practitioners.set(practitioners)
        _sync_practitioner_permissions(locked, before_practitioners, practitioners)
    fields = (
        changed
        + (["component_versions"] if versions_changed else [])
        + (["practitioners"] if practitioners_changed else [])
    )
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.EDITED,
        from_status=from_status,
        to_status=locked.status,
        comment=("Plan changed after approval: sent back for approval." if from_status != locked.status else ""),
        data={"fields": sorted(fields)},
        notify=from_status != locked.status or practitioners_changed,
    )
    return locked
