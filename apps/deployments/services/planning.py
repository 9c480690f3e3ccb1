"""Planning writes: create a deployment, edit its plan (an approval holds only for the plan it approved)."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from guardian.shortcuts import assign_perm, remove_perm

from apps.audit.chain import atomic_audited
from apps.audit.history import audit_history_many
from apps.catalog.models import ComponentVersion
from apps.catalog.services import component_version_get_or_create, normalise_checksum
from apps.core.exceptions import ConflictError
from apps.core.outbox import outbox_enqueue
from apps.deployment_models.models import ModelStatus
from apps.deployments import rules, workflow
from apps.deployments.models import Deployment, DeploymentStep, EventKind, IdempotencyKey
from apps.deployments.permissions import is_manager, may_edit, may_edit_back_out_plan, may_request_for_service
from apps.deployments.risk.services import deployment_risk_apply
from apps.deployments.selectors import remembered_deployments
from apps.deployments.services.events import Context, event_record, events_record_many
from apps.deployments.services.kpi_rollup import rollup_after, rollup_before
from apps.deployments.services.plans import back_out_plan_prefill, step_template_rows, steps_from_stage
from apps.deployments.services.transitions import deployment_transition

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
    "knowledge_links",
    "outcome",
    "back_out_plan",
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
        elif problems := applicability_problems(model, versions, deployment.trigger):
            errors["model"] = problems
    if errors:
        raise ValidationError(errors)


def applicability_problems(model, versions, trigger: str) -> list[str]:
    """The model's applicability (DESIGN.md §2), one message per rule broken: the component types and sources it
    covers and the triggers it serves (an empty list covers everything)."""
    problems = []
    rules_ = (
        ("component type", model.component_types, sorted({v.component.type for v in versions})),
        ("component source", model.component_sources, sorted({v.component.source for v in versions})),
        ("trigger", model.triggers, [trigger] if trigger else []),
    )
    for what, covered, used in rules_:
        covered = list(covered or [])
        for value in used:
            if covered and value not in covered:
                problems.append(f"{model} does not apply to {what} {value} (it covers {', '.join(covered)}).")
    return problems


def _valid_change_ref(value) -> str:
    """A change reference is stored stripped and, whenever one is given, in the configured format."""
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    problem = rules.change_ref_problem(value) if isinstance(value, str) else "Give the change reference as text."
    if problem:
        raise ValidationError({"change_ref": problem})
    return value


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


@dataclass
class _Plan:
    """A validated deployment, not yet written, with its many-to-many values."""

    deployment: Deployment
    versions: list
    practitioners: list
    idempotency_key: str = ""


def _plan(ctx: Context, data: dict, idempotency_key: str = "", *, score: bool = True) -> _Plan:
    """Check who may plan what and validate it; nothing is written. Without `score` the risk score is left to the
    worker (a bulk call: its reads would grow with the items)."""
    actor = ctx.actor
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
    if "change_ref" in scalar:
        scalar["change_ref"] = _valid_change_ref(scalar["change_ref"])
    deployment = Deployment(requester=actor, **scalar)
    loaded = [name for name, value in scalar.items() if isinstance(value, models.Model)]  # read from the database
    deployment.full_clean(exclude=["reference", "requester", *loaded])
    _validate_plan(deployment, versions, deployment.model)
    deployment.stage = _stage_for(deployment)
    back_out_plan_prefill(deployment)
    if score:
        deployment_risk_apply(deployment=deployment, versions=versions, practitioners=practitioners)
    return _Plan(deployment, versions, practitioners, idempotency_key)


def _reserve_ids(count: int) -> list[int] | None:
    """The next deployment ids from PostgreSQL's sequence (None elsewhere: the insert assigns them)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('deployments_deployment', 'id')) FROM generate_series(1, %s)",
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def _write(ctx: Context, plans: list[_Plan]) -> list[Deployment]:
    """Insert planned deployments with everything that goes with them, a few statements for any number:
    the rows (with their reference), their history and audit entries, relations, idempotency keys, events."""
    deployments = [plan.deployment for plan in plans]
    ids = _reserve_ids(len(plans))
    if ids is not None:  # the reference is in the insert, so the history (and the audit trail) names it
        for deployment, pk in zip(deployments, ids, strict=True):
            deployment.pk, deployment.reference = pk, Deployment.reference_for(pk)
        Deployment.objects.bulk_create(deployments)
    else:
        Deployment.objects.bulk_create(deployments)
        for deployment in deployments:
            deployment.reference = Deployment.reference_for(deployment.pk)
        Deployment.objects.bulk_update(deployments, ["reference"])
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    history = Deployment.history.bulk_history_create(deployments, default_user=actor)
    audit_history_many(instances=deployments, records=history, context=ctx)
    versions_through = Deployment.component_versions.through
    versions_through.objects.bulk_create(
        versions_through(deployment_id=plan.deployment.pk, componentversion_id=version.pk)
        for plan in plans
        for version in plan.versions
    )
    practitioners_through = Deployment.practitioners.through
    practitioners_through.objects.bulk_create(
        practitioners_through(deployment_id=plan.deployment.pk, user_id=user.pk)
        for plan in plans
        for user in plan.practitioners
    )
    for plan in plans:
        if plan.practitioners:
            _sync_practitioner_permissions(plan.deployment, set(), plan.practitioners)
        _remember(plan.deployment, component_versions=plan.versions, practitioners=plan.practitioners)
    DeploymentStep.objects.bulk_create(step for d in deployments for step in step_template_rows(d))
    keys = [
        IdempotencyKey(user=ctx.actor, key=plan.idempotency_key, deployment=plan.deployment)
        for plan in plans
        if plan.idempotency_key
    ]
    if keys:
        try:
            with transaction.atomic():
                IdempotencyKey.objects.bulk_create(keys)
        except IntegrityError as exc:
            raise ConflictError("A request with this Idempotency-Key is being processed.", code="idempotency") from exc
    events_record_many(
        ctx=ctx,
        kind=EventKind.CREATED,
        events=[
            (d, {"to_status": d.status, "comment": f"{d.get_action_display()} planned in {d.environment}."})
            for d in deployments
        ],
    )
    return deployments


@atomic_audited
def deployment_create(*, ctx: Context, data: dict, idempotency_key: str = "") -> Deployment:
    """Plan a new deployment as a draft. `data` holds model fields; m2m as lists of objects.

    With an `idempotency_key`, a retried call by the same user returns the deployment the first call created.
    """
    if idempotency_key and (remembered := remembered_deployments(user=ctx.actor, keys=[idempotency_key])):
        return remembered[0]
    return _write(ctx, [_plan(ctx, data, idempotency_key)])[0]


class ItemInvalid(ValidationError):
    """One item of a bulk call was refused: `index` names it, `errors` holds its field errors."""

    def __init__(self, index: int, exc: ValidationError):
        self.index = index
        self.errors = (
            {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
        first = next(iter(self.errors.values()))[0]
        super().__init__({"deployments": [f"Deployment {index + 1}: {first}"]})


BULK_LIMIT = 100  # deployments in one registration call


def _build_version(ctx: Context, component, build: dict) -> ComponentVersion:
    """The build a pipeline names: an existing version with the same checksum (or none given) is used as it is
    (any requester may); otherwise it is registered, which the catalog allows to deployment managers and the
    service's owners."""
    existing = ComponentVersion.objects.filter(component=component, version=build["version"].strip()).first()
    if existing is not None and build["checksum"]:
        try:
            same = normalise_checksum(build["checksum"]) == existing.checksum
        except ValidationError:  # a malformed checksum: the catalog service below reports it
            same = False
        if same:
            return existing
    elif existing is not None:
        return existing
    version, _created = component_version_get_or_create(
        component=component,
        version=build["version"],
        repository_ref=build["repository_ref"],
        checksum=build["checksum"],
        actor=ctx.actor,
        channel=ctx.channel,
    )
    return version


def _with_build(ctx: Context, data: dict) -> dict:
    """`data` with the build a pipeline names by `component` + `version` + `repository_ref` + `checksum` among
    its component versions (registered in the catalog if it is new)."""
    data = dict(data)
    component = data.pop("component", None)
    build = {name: data.pop(name, "") for name in ("version", "repository_ref", "checksum")}
    if component is not None:
        version = _build_version(ctx, component, build)
        others = [v for v in data.get("component_versions", []) if v.pk != version.pk]
        data["component_versions"] = [*others, version]
    return data


@atomic_audited
def deployment_register(*, ctx: Context, data: dict, idempotency_key: str = "") -> Deployment:
    """A pipeline plans a deployment (the API's POST): `deployment_create` with the build it names."""
    return deployment_create(ctx=ctx, data=_with_build(ctx, data), idempotency_key=idempotency_key)


def bulk_idempotency_keys(idempotency_key: str, count: int = BULK_LIMIT) -> list[str]:
    """The keys under which the deployments of one bulk call are remembered, in the call's order."""
    return [f"{idempotency_key}#{i}" for i in range(count)]


@atomic_audited
def deployment_register_many(*, ctx: Context, items: list[dict], idempotency_key: str = "") -> list[Deployment]:
    """Several deployments in one call (a pipeline planning a release across services), all or none: the first
    refused item stops the call and its error names the item. Written in a few statements for all of them."""
    if not items or len(items) > BULK_LIMIT:
        raise ValidationError({"deployments": f"Send 1 to {BULK_LIMIT} deployments."})
    keys = bulk_idempotency_keys(idempotency_key, len(items)) if idempotency_key else [""] * len(items)
    if idempotency_key and (remembered := remembered_deployments(user=ctx.actor, keys=keys)):
        return remembered
    plans = []
    for index, (data, key) in enumerate(zip(items, keys, strict=True)):
        try:
            plans.append(_plan(ctx, _with_build(ctx, data), key, score=False))
        except ValidationError as exc:
            raise ItemInvalid(index, exc) from exc
    written = _write(ctx, plans)
    ids = [d.pk for d in written]
    outbox_enqueue("apps.deployments.tasks.risk_score", ids, key=f"risk-score-{ids[0]}-{len(ids)}")
    return written


@atomic_audited
def deployment_update(*, ctx: Context, deployment: Deployment, data: dict, expected_version: int | None) -> Deployment:
    """Edit a deployment. A stale `expected_version` is refused (409) and the first save kept; changing the plan
    of an approved deployment sends it back for approval and supersedes the approvals it had."""
    actor = ctx.actor
    locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
    if set(data) == {"back_out_plan"} and may_edit_back_out_plan(actor, locked):
        pass  # the back-out plan alone: by the people who would carry it out, until the deployment is final
    elif not may_edit(actor, locked):
        if locked.status not in workflow.PLANNING:
            raise ConflictError(
                f"{locked.reference} is {locked.get_status_display().lower()} and can no longer be edited.",
                code="not_editable",
            )
        raise PermissionDenied("You may not edit this deployment.")
    # who may edit is answered first: a stale `version` from someone who may not edit is still a 403
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.reference} was changed by someone else since you opened it (version {expected_version}, "
            f"now {locked.version}). Reload it and make your change again.",
            code="stale_version",
        )
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed."))
    if not is_manager(actor) and set(data) & set(MANAGER_ONLY_FIELDS):
        raise PermissionDenied("Only a deployment manager assigns the manager and the practitioners.")
    before_versions = set(locked.component_versions.values_list("pk", flat=True))
    before_practitioners = set(locked.practitioners.values_list("pk", flat=True))
    before = {f: getattr(locked, f) for f in PLAN_FIELDS[:2]}  # the window
    before_env = locked.environment_id
    counted = rollup_before(locked)  # a planned (not draft) deployment's day, service or model counts in the KPIs
    changed = []
    if "change_ref" in data and (data["change_ref"] or "") != locked.change_ref:
        # checked when it changes: a form sending back a reference recorded before the format was set still saves
        data = {**data, "change_ref": _valid_change_ref(data["change_ref"])}
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
    if locked.status in workflow.PLANNING:  # a back-out plan edited later leaves the plan as it was approved
        _validate_plan(locked, versions, locked.model)
        locked.stage = _stage_for(locked)
        if "model" in changed and "back_out_plan" not in changed and not locked.back_out_plan.strip():
            back_out_plan_prefill(locked)
            changed.append("back_out_plan")
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
    replan = plan_changed and locked.status == workflow.Status.APPROVED
    if plan_changed:
        locked.approvals.filter(superseded=False).update(superseded=True)
    if not replan:  # a replan counts the edit and the transition as one new version, and scores the plan
        locked.version += 1
        deployment_risk_apply(deployment=locked, versions=versions, practitioners=practitioners)
    locked.save()
    rollup_after(locked, counted)
    if versions_changed:
        locked.component_versions.set(versions)
        if locked.status in (workflow.Status.APPROVED, workflow.Status.PENDING_APPROVAL):
            locked.checks.filter(result="pending").delete()
    if locked.status in workflow.PLANNING:
        steps_from_stage(locked)  # a deployment given its first stage by this edit gets the stage's step plan
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
        from_status=locked.status,
        to_status=locked.status,
        data={"fields": sorted(fields)},
        notify=practitioners_changed,
    )
    if replan:
        # the approval held for the plan it approved: the table's system transition sends it back
        locked = deployment_transition(
            ctx=ctx,
            deployment=locked,
            transition="replan",
            comment="Plan changed after approval: sent back for approval.",
            system=True,
        )
    return locked
