"""Planning writes: a new deployment (from a page, or from a pipeline naming its build, one or many at once) and
the checks of a plan that editing it (replanning.py) shares."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, router, transaction
from guardian.shortcuts import assign_perm, remove_perm

from apps.accounts.models import User
from apps.audit.chain import atomic_audited, audit_chain_with
from apps.audit.history import audit_history_many, history_rows
from apps.catalog.models import ComponentVersion
from apps.catalog.services import component_version_get_or_create, normalise_checksum
from apps.core.compiled import InsertsTogether
from apps.core.exceptions import ConflictError
from apps.core.outbox import outbox_enqueue
from apps.deployment_models.models import ModelStatus
from apps.deployments import rules
from apps.deployments.models import Deployment, DeploymentStep, EventKind, IdempotencyKey
from apps.deployments.permissions import is_manager, may_request_for_service
from apps.deployments.risk.services import deployment_risk_apply
from apps.deployments.selectors.work import remembered_deployments
from apps.deployments.services.calendar_days import counts_of_new
from apps.deployments.services.events import Context, events_build, events_recorded
from apps.deployments.services.plans import back_out_plan_prefill, step_template_rows

# what a deployment is, under which model, where and when: the first of the fields a client writes (and reads)
PLANNED_FIELDS = (
    "title",
    "action",
    "trigger",
    "model",
    "service",
    "component_versions",
    "environment",
    "planned_start",
    "planned_end",
)
EDITABLE_FIELDS = (
    *PLANNED_FIELDS,
    "change_ref",
    "release_ref",
    "manager",
    "practitioners",
    "supplier",
    "requirements",
    "acceptance_criteria",
    "is_rollback",
    "handover_note",
    "knowledge_links",
    "outcome",
    "back_out_plan",
)


def plan_validate(deployment: Deployment, versions, model) -> None:
    """Refuse component versions of another service, and a model that is not active or in pilot, has no stage in
    the environment or does not apply to what is deployed."""
    errors = {}
    for field in deployment._meta.concrete_fields:  # as the forms and the API refuse them: PostgreSQL stores no NUL
        if isinstance(value := getattr(deployment, field.attname), str) and "\x00" in value:
            errors[field.name] = ["Null characters are not allowed."]
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


def change_ref_valid(value) -> str:
    """A change reference is stored stripped and, whenever one is given, in the configured format."""
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    problem = rules.change_ref_problem(value) if isinstance(value, str) else "Give the change reference as text."
    if problem:
        raise ValidationError({"change_ref": problem})
    return value


def stage_of(deployment: Deployment):
    """The stage of the deployment's model in its environment (None without a model)."""
    if deployment.model_id is None:
        return None
    return deployment.model.stages.filter(environment_id=deployment.environment_id).first()


def practitioner_permissions_sync(deployment: Deployment, before: set[int], after_users) -> None:
    """Let the practitioners now assigned carry the deployment out, and no longer those taken off it (`before`)."""
    after = {u.pk for u in after_users}
    for user in after_users:
        if user.pk not in before:
            assign_perm("deployments.execute_deployment", user, deployment)
    if before - after:
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
        scalar["change_ref"] = change_ref_valid(scalar["change_ref"])
    deployment = Deployment(requester=actor, **scalar)
    loaded = [name for name, value in scalar.items() if isinstance(value, models.Model)]  # read from the database
    deployment.full_clean(exclude=["reference", "requester", *loaded])
    plan_validate(deployment, versions, deployment.model)
    deployment.stage = stage_of(deployment)
    back_out_plan_prefill(deployment)
    if score:  # on PostgreSQL the id is taken in the same round trip (see _write)
        deployment_risk_apply(deployment=deployment, versions=versions, practitioners=practitioners, next_id=True)
    return _Plan(deployment, versions, practitioners, idempotency_key)


def _reserve_ids(deployments: list[Deployment]) -> list[int] | None:
    """The deployments' ids from PostgreSQL's sequence: those taken with the risk's counts (`_plan`), or the next
    ones (None elsewhere: the insert assigns them)."""
    if connection.vendor != "postgresql":
        return None
    if all(d.pk is not None for d in deployments):
        return [d.pk for d in deployments]
    count = len(deployments)
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
    # the rows, their history, versions link and events: one statement on PostgreSQL, sent with the audit chain's
    together = InsertsTogether(using=router.db_for_write(Deployment))
    ids = _reserve_ids(deployments)
    if ids is not None:  # the reference is in the insert, so the history (and the audit trail) names it
        for deployment, pk in zip(deployments, ids, strict=True):
            deployment.pk, deployment.reference = pk, Deployment.reference_for(pk)
        together.add(deployments)
    else:
        Deployment.objects.bulk_create(deployments)
        for deployment in deployments:
            deployment.reference = Deployment.reference_for(deployment.pk)
        Deployment.objects.bulk_update(deployments, ["reference"])
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    history = history_rows(instances=deployments, default_user=actor)
    together.add(history or [])
    versions_through = Deployment.component_versions.through
    together.add(
        [
            versions_through(deployment_id=plan.deployment.pk, componentversion_id=version.pk)
            for plan in plans
            for version in plan.versions
        ]
    )
    events = events_build(
        ctx=ctx,
        kind=EventKind.CREATED,
        events=[
            (d, {"to_status": d.status, "comment": f"{d.get_action_display()} planned in {d.environment}."})
            for d in deployments
        ],
    )
    together.add(events)
    for sql, params in counts_of_new(deployments):  # the calendar's day counts, in the rows' statement
        together.also(sql, params)
    audit_chain_with(together)  # on PostgreSQL in the audit chain's round trip at the end (or before any statement)
    audit_history_many(instances=deployments, records=history, context=ctx)
    practitioners_through = Deployment.practitioners.through
    practitioners_through.objects.bulk_create(
        practitioners_through(deployment_id=plan.deployment.pk, user_id=user.pk)
        for plan in plans
        for user in plan.practitioners
    )
    for plan in plans:
        if plan.practitioners:
            practitioner_permissions_sync(plan.deployment, set(), plan.practitioners)
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
    events_recorded(events)
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
