"""Every write to deployment models, their stages and responsibilities, with the versioning rules.

Rules kept here (DESIGN.md §2):
- Only deployment managers (the model permissions of apps/roles/definitions.py) write; a refusal changes nothing.
- Only a `draft` or `pilot` model may be changed. An `active` or `retired` model is immutable: changing it means
  `model_new_version`, which copies it (stages and responsibilities included) as a draft with version + 1.
- A stage: order 1..1000 and unique in its model; an environment at most once per model; 0..10 approvals; a
  service-owner sign-off counts as one of the approvals (so it needs ≥ 1). A **pre-approved stage needs 0
  approvals and no sign-off**: it is approved on submit, so asking for approvals too is refused as a contradiction.
- Responsibilities: one row per activity × role; at most one Accountable per activity, and a model can only go to
  pilot or active when every activity it lists has exactly one Accountable.
- Lifecycle: draft → pilot → active → retired (draft/pilot → retired allowed). Activation needs at least one stage,
  sets `activated_at` and `next_review_due`, and retires the previously active version.
- Model testing (the pilot): a model becomes active only after a pilot of `pilot_runs_required` completed deployments,
  each confirmed by a deployment manager (counted here by `model_pilot_run_record`, called by the deployments app),
  and an evaluation (outcome, findings, decision) that decides to activate it. Skipping any of that is a deployment
  manager's override with a reason (`override_reason`), recorded on the model and counted as a compliance
  exception in the KPIs.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.audit.context import audited
from apps.core.exceptions import ConflictError
from apps.core.outbox import outbox_enqueue
from apps.core.permissions import require
from apps.core.services import model_save, reject_unknown
from apps.core.services import model_update as model_update_fields
from apps.deployment_models.models import DeploymentModel, ModelStage, ModelStatus, Raci, Responsibility
from apps.deployment_models.services_pilot import (  # the pilot's own writes, re-exported with the others
    EVALUATION_FIELDS,
    OVERRIDE_PERMISSION,
    model_evaluate,  # noqa: F401
    model_pilot_run_record,  # noqa: F401
    pilot_gate,
)
from apps.environments.models import Environment
from apps.roles.definitions import RACI_ROLES

MODEL_FIELDS = {
    "name",
    "description",
    "owner",
    "component_types",
    "component_sources",
    "automation_level",
    "dimension_organisations_people",
    "dimension_information_technology",
    "dimension_value_streams_processes",
    "dimension_partners_suppliers",
    "selection_factors",
    "triggers",
    "rollback_procedure",
    "rollback_rehearsed_on",
    "review_interval_months",
    "pilot_runs_required",
}
STAGE_FIELDS = {
    "environment",
    "order",
    "entry_criteria",
    "exit_criteria",
    "acceptance_criteria",
    "approvals_required",
    "requires_service_owner_approval",
    "pre_approved",
    "requires_change_ref",
    "step_template",
    "extra_approval_risk_threshold",
}


def _lock(model: DeploymentModel) -> DeploymentModel:
    return DeploymentModel.objects.select_for_update().get(pk=model.pk)


def _require_editable(model: DeploymentModel) -> None:
    if not model.is_editable:
        raise ConflictError(
            f"{model} is {model.get_status_display().lower()} and cannot be changed: "
            "make a new version of it and change that.",
            code="model_immutable",
        )


# --- models ---------------------------------------------------------------------------------------------------


@audited
@transaction.atomic
def model_create(*, actor, name: str, **fields) -> DeploymentModel:
    """Create a draft deployment model, version 1."""
    require(actor, "deployment_models.add_deploymentmodel")
    reject_unknown(fields, MODEL_FIELDS - {"name"})
    name = (name or "").strip()
    if name and DeploymentModel.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": f"A model named “{name}” exists already: make a new version of it instead."})
    model = DeploymentModel(name=name, status=ModelStatus.DRAFT, version=1, **fields)
    if model.owner is None:
        model.owner = actor
    model_save(model)
    return model


@audited
@transaction.atomic
def model_update(*, model: DeploymentModel, actor, **fields) -> DeploymentModel:
    """Change a draft or pilot model; an active or retired one is immutable (ConflictError)."""
    require(actor, "deployment_models.change_deploymentmodel")
    reject_unknown(fields, MODEL_FIELDS)
    locked = _lock(model)
    _require_editable(locked)
    if "name" in fields:
        name = (fields["name"] or "").strip()
        fields["name"] = name
        if name != locked.name:
            if locked.previous_version_id or locked.next_versions.exists():
                raise ValidationError({"name": "Every version of a model shares its name: it cannot be renamed."})
            if DeploymentModel.objects.filter(name__iexact=name).exclude(pk=locked.pk).exists():
                raise ValidationError({"name": f"A model named “{name}” exists already."})
    return model_update_fields(instance=locked, fields=fields, allowed=MODEL_FIELDS)


@audited
@transaction.atomic
def model_new_version(*, model: DeploymentModel, actor) -> DeploymentModel:
    """Copy an active or retired model, its stages and responsibilities, as a draft with the next version number."""
    require(actor, "deployment_models.add_deploymentmodel")
    source = _lock(model)
    if source.is_editable:
        raise ConflictError(
            f"{source} is still {source.get_status_display().lower()}: change it directly instead.", code="editable"
        )
    pending = (
        DeploymentModel.objects.select_for_update()
        .filter(name=source.name, status__in=[ModelStatus.DRAFT, ModelStatus.PILOT])
        .order_by("-version")
        .first()
    )
    if pending is not None:
        raise ConflictError(
            f"Version {pending.version} of “{source.name}” is already in {pending.status}: "
            "finish or retire it before making another.",
            code="newer_draft_exists",
        )
    latest = DeploymentModel.objects.filter(name=source.name).aggregate(v=Max("version"))["v"] or source.version
    copy = DeploymentModel(
        **{field: getattr(source, field) for field in MODEL_FIELDS},
        version=latest + 1,
        status=ModelStatus.DRAFT,
        previous_version=source,
    )
    copy.owner = source.owner or actor
    model_save(copy)
    ModelStage.objects.bulk_create(
        ModelStage(model=copy, **{f: getattr(stage, f) for f in STAGE_FIELDS}) for stage in source.stages.all()
    )
    Responsibility.objects.bulk_create(
        Responsibility(model=copy, activity=r.activity, role=r.role, raci=r.raci) for r in source.responsibilities.all()
    )
    return copy


def _check_ready(model: DeploymentModel, target: str) -> None:
    if not model.stages.exists():
        raise ValidationError(f"{model} needs at least one stage before it can become {target}.")
    activities = {r.activity for r in model.responsibilities.all()}
    accountable = {r.activity for r in model.responsibilities.all() if r.raci == Raci.ACCOUNTABLE}
    if missing := sorted(activities - accountable):
        raise ValidationError(f"Every activity needs one Accountable role; missing for: {', '.join(missing)}.")


def _transition_refused(model: DeploymentModel, action: str) -> ConflictError:
    return ConflictError(
        f"{model} is {model.get_status_display().lower()}: it cannot be {action}.", code="invalid_transition"
    )


def _announce(model: DeploymentModel, kind: str) -> None:
    """After commit, the worker tells the owners of the services that use the model (the deployments app knows
    which those are; the task is named, not imported). Recorded in the outbox, so a lost task is handed out again."""
    outbox_enqueue("apps.deployments.tasks.announce_model", model.pk, kind, key=f"announce-{kind}-{model.pk}")


@audited
@transaction.atomic
def model_pilot(*, model: DeploymentModel, actor) -> DeploymentModel:
    """Draft → pilot ("model testing"): deployments under it are overseen, none of its stages is pre-approved. The
    count of confirmed runs and any earlier evaluation start afresh."""
    require(actor, "deployment_models.change_deploymentmodel")
    locked = _lock(model)
    if locked.status != ModelStatus.DRAFT:
        raise _transition_refused(locked, "piloted")
    _check_ready(locked, "a pilot")
    locked.status, locked.pilot_started_at, locked.pilot_runs_confirmed = ModelStatus.PILOT, timezone.now(), 0
    for field in EVALUATION_FIELDS:
        setattr(locked, field, None if field in ("evaluated_by", "evaluated_at") else "")
    locked._history_user = actor
    locked.save(update_fields=["status", "pilot_started_at", "pilot_runs_confirmed", *EVALUATION_FIELDS, "updated_at"])
    return locked


@audited
@transaction.atomic
def model_activate(
    *, model: DeploymentModel, actor, override_reason: str = "", today: date | None = None
) -> DeploymentModel:
    """Pilot → active once the pilot has its confirmed runs and an evaluation deciding to activate; the previously
    active version of the same name is retired. A draft, or a pilot not finished, is activated only with a deployment
    manager's `override_reason` (recorded on the model, counted as a compliance exception); otherwise 409."""
    require(actor, "deployment_models.change_deploymentmodel")
    override_reason = (override_reason or "").strip()
    if override_reason:
        require(actor, OVERRIDE_PERMISSION, message="Only a deployment manager may skip a model's pilot.")
    locked = _lock(model)
    if locked.status not in (ModelStatus.DRAFT, ModelStatus.PILOT):
        raise _transition_refused(locked, "activated")
    _check_ready(locked, "active")
    gate = pilot_gate(locked)
    if gate and not override_reason:
        raise ConflictError(gate, code="pilot_required")
    now = timezone.now()
    today = today or timezone.localdate()
    for old in DeploymentModel.objects.select_for_update().filter(name=locked.name, status=ModelStatus.ACTIVE):
        old.status, old.retired_at = ModelStatus.RETIRED, now
        old._history_user = actor
        old.save(update_fields=["status", "retired_at", "updated_at"])
    locked.status, locked.activated_at = ModelStatus.ACTIVE, now
    locked.next_review_due = locked.next_review_from(today)
    fields = ["status", "activated_at", "next_review_due", "updated_at"]
    if gate:  # skipped (or cut short) the pilot: the override is recorded, and the KPIs count it
        locked.pilot_override_reason, locked.pilot_overridden_by = override_reason, actor
        locked.pilot_overridden_at = now
        fields += ["pilot_override_reason", "pilot_overridden_by", "pilot_overridden_at"]
    locked._history_user = actor
    locked.save(update_fields=fields)
    _announce(locked, "activated")
    return locked


@audited
@transaction.atomic
def model_retire(*, model: DeploymentModel, actor) -> DeploymentModel:
    """Draft, pilot or active → retired: no new deployment may use it."""
    require(actor, "deployment_models.change_deploymentmodel")
    locked = _lock(model)
    if locked.status == ModelStatus.RETIRED:
        raise _transition_refused(locked, "retired again")
    locked.status, locked.retired_at = ModelStatus.RETIRED, timezone.now()
    locked.save(update_fields=["status", "retired_at", "updated_at"])
    _announce(locked, "retired")
    return locked


# --- stages ---------------------------------------------------------------------------------------------------


def _check_stage_unique(stage: ModelStage) -> None:
    others = ModelStage.objects.filter(model_id=stage.model_id).exclude(pk=stage.pk).select_related("environment")
    errors = {}
    for other in others:
        if stage.order is not None and other.order == stage.order:
            errors["order"] = f"Order {stage.order} is already the stage into {other.environment}."
        if stage.environment_id and other.environment_id == stage.environment_id:
            errors["environment"] = f"{other.environment} is already stage {other.order} of this model."
    if errors:
        raise ValidationError(errors)


def _check_environment(environment) -> None:
    if not isinstance(environment, Environment):
        raise ValidationError({"environment": "Choose an environment."})


@audited
@transaction.atomic
def stage_add(*, model: DeploymentModel, actor, environment: Environment, order: int | None = None, **fields):
    """Add a stage to a draft or pilot model; without an order it goes last."""
    require(actor, "deployment_models.add_modelstage")
    reject_unknown(fields, STAGE_FIELDS - {"environment", "order"})
    locked = _lock(model)
    _require_editable(locked)
    _check_environment(environment)
    if order is None:
        order = (locked.stages.aggregate(m=Max("order"))["m"] or 0) + 1
    if fields.get("approvals_required") is None:
        fields["approvals_required"] = 0 if fields.get("pre_approved") else 1
    stage = ModelStage(model=locked, environment=environment, order=order, **fields)
    stage.full_clean(validate_unique=False, validate_constraints=False)
    _check_stage_unique(stage)
    model_save(stage)
    return stage


@audited
@transaction.atomic
def stage_update(*, stage: ModelStage, actor, **fields) -> ModelStage:
    """Change a stage of a draft or pilot model."""
    require(actor, "deployment_models.change_modelstage")
    reject_unknown(fields, STAGE_FIELDS)
    _require_editable(_lock(stage.model))
    locked = ModelStage.objects.select_for_update().get(pk=stage.pk)
    if "environment" in fields:
        _check_environment(fields["environment"])

    def check(stage: ModelStage) -> None:
        stage.full_clean(validate_unique=False, validate_constraints=False)
        _check_stage_unique(stage)

    return model_update_fields(instance=locked, fields=fields, allowed=STAGE_FIELDS, check=check)


@audited
@transaction.atomic
def stage_remove(*, stage: ModelStage, actor) -> None:
    """Remove a stage of a draft or pilot model."""
    require(actor, "deployment_models.delete_modelstage")
    _require_editable(_lock(stage.model))
    ModelStage.objects.filter(pk=stage.pk).delete()


@audited
@transaction.atomic
def stage_reorder(*, model: DeploymentModel, actor, stage_ids: list[int]) -> list[ModelStage]:
    """Put the model's stages in the order of `stage_ids` (every stage once), numbered 1, 2, 3…"""
    require(actor, "deployment_models.change_modelstage")
    locked = _lock(model)
    _require_editable(locked)
    stages = {s.pk: s for s in locked.stages.select_for_update()}
    try:
        ids = [int(i) for i in stage_ids]
    except (TypeError, ValueError) as exc:
        raise ValidationError("The new order lists stage ids.") from exc
    if sorted(ids) != sorted(stages):
        raise ValidationError("The new order must list every stage of the model exactly once.")
    # Two passes, so the unique (model, order) constraint never sees two stages on the same number.
    offset = max([s.order for s in stages.values()] + [len(ids)]) + 1
    for position, pk in enumerate(ids, start=1):
        ModelStage.objects.filter(pk=pk).update(order=offset + position)
    for position, pk in enumerate(ids, start=1):
        ModelStage.objects.filter(pk=pk).update(order=position)
    return list(locked.stages.select_related("environment"))


@audited
def stage_move(*, stage: ModelStage, actor, direction: str) -> list[ModelStage]:
    """Swap a stage with its neighbour ("up" = earlier, "down" = later)."""
    if direction not in ("up", "down"):
        raise ValidationError("Move a stage up or down.")
    ids = list(ModelStage.objects.filter(model_id=stage.model_id).order_by("order").values_list("pk", flat=True))
    i = ids.index(stage.pk)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    return stage_reorder(model=stage.model, actor=actor, stage_ids=ids)


# --- responsibilities -----------------------------------------------------------------------------------------


@audited
@transaction.atomic
def responsibility_add(*, model: DeploymentModel, actor, activity: str, role: str, raci: str) -> Responsibility:
    """Say who does what: one RACI letter per activity × role (a role of the role list); one Accountable per
    activity."""
    require(actor, "deployment_models.add_responsibility")
    locked = _lock(model)
    _require_editable(locked)
    role = (role or "").strip()
    if role not in RACI_ROLES:
        raise ValidationError({"role": f"“{role}” is not on the role list; choose one of: {', '.join(RACI_ROLES)}."})
    row = Responsibility(model=locked, activity=(activity or "").strip(), role=role, raci=raci)
    row.full_clean(validate_unique=False, validate_constraints=False)
    existing = list(locked.responsibilities.filter(activity__iexact=row.activity))
    if clash := next((r for r in existing if r.role.lower() == row.role.lower()), None):
        raise ValidationError({"role": f"{clash.role} already holds “{clash.raci}” for {clash.activity}."})
    if raci == Raci.ACCOUNTABLE and (acc := next((r for r in existing if r.raci == Raci.ACCOUNTABLE), None)):
        raise ValidationError({"raci": f"{acc.activity} already has an Accountable role ({acc.role}): only one."})
    model_save(row)
    return row


@audited
@transaction.atomic
def responsibility_remove(*, responsibility: Responsibility, actor) -> None:
    """Remove a RACI row of a draft or pilot model."""
    require(actor, "deployment_models.delete_responsibility")
    _require_editable(_lock(responsibility.model))
    Responsibility.objects.filter(pk=responsibility.pk).delete()
