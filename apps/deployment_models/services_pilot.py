"""Model testing: the pilot's confirmed runs, its evaluation, and what still stands between a pilot and activation.

A model in pilot counts the completed deployments a deployment manager confirmed (`model_pilot_run_record`, called
by the deployments app's `deployment_pilot_confirm`); once it has `pilot_runs_required` of them it is evaluated
(`model_evaluate`: outcome, findings, decision). `pilot_gate` says what is missing; `model_activate` (services.py)
refuses with it unless a deployment manager overrides with a reason.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.context import audited
from apps.core.exceptions import ConflictError
from apps.core.permissions import require
from apps.deployment_models.models import DeploymentModel, ModelStatus, PilotDecision, PilotOutcome

OVERRIDE_PERMISSION = "deployments.override_deployment"  # overrides are the deployment managers' (DESIGN.md §2)
EVALUATION_FIELDS = ("evaluation_outcome", "evaluation_findings", "evaluation_decision", "evaluated_by", "evaluated_at")


def _lock(model: DeploymentModel) -> DeploymentModel:
    return DeploymentModel.objects.select_for_update().get(pk=model.pk)


@transaction.atomic
def model_pilot_run_record(*, model: DeploymentModel, actor) -> DeploymentModel:
    """Count one more completed deployment a deployment manager confirmed under this pilot model (the deployments
    app's `deployment_pilot_confirm` calls it in its own transaction and audit context, after its own checks)."""
    require(actor, "deployments.approve_deployment", message="Only a deployment manager confirms a pilot run.")
    locked = _lock(model)
    if locked.status != ModelStatus.PILOT:
        raise ConflictError(
            f"{locked} is {locked.get_status_display().lower()}, not in pilot: there is no pilot run to confirm.",
            code="not_pilot",
        )
    if locked.is_evaluated:
        raise ConflictError(f"The pilot of {locked} has been evaluated already.", code="pilot_evaluated")
    locked.pilot_runs_confirmed += 1
    locked._history_user = actor
    locked.save(update_fields=["pilot_runs_confirmed", "updated_at"])
    return locked


@audited
@transaction.atomic
def model_evaluate(*, model: DeploymentModel, actor, outcome: str, findings: str, decision: str) -> DeploymentModel:
    """End a pilot with its evaluation: outcome, findings and a decision. `activate` keeps the model in pilot, ready
    for `model_activate`; `revise` sends it back to draft to be changed and piloted again; `abandon` retires it.
    The pilot must have its confirmed runs first (409 naming how many are missing)."""
    require(actor, "deployment_models.change_deploymentmodel")
    errors = {}
    if outcome not in PilotOutcome.values:
        errors["outcome"] = f"Choose an outcome: {', '.join(PilotOutcome.values)}."
    if decision not in PilotDecision.values:
        errors["decision"] = f"Choose a decision: {', '.join(PilotDecision.values)}."
    findings = (findings or "").strip()
    if not findings:
        errors["findings"] = "Say what the pilot found: what worked, what did not, what should change."
    if decision == PilotDecision.ACTIVATE and outcome == PilotOutcome.UNSUCCESSFUL:
        errors["decision"] = "An unsuccessful pilot cannot decide to activate the model: revise or abandon it."
    if errors:
        raise ValidationError(errors)
    locked = _lock(model)
    if locked.status != ModelStatus.PILOT:
        raise ConflictError(
            f"{locked} is {locked.get_status_display().lower()}: only a model in pilot is evaluated.",
            code="invalid_transition",
        )
    if locked.is_evaluated:
        raise ConflictError(f"The pilot of {locked} has been evaluated already.", code="pilot_evaluated")
    if missing := locked.pilot_runs_missing:
        raise ConflictError(
            f"The pilot of {locked} has {locked.pilot_runs_confirmed} of its {locked.pilot_runs_required} confirmed "
            f"deployments: {missing} more before it can be evaluated.",
            code="pilot_incomplete",
        )
    locked.evaluation_outcome, locked.evaluation_findings, locked.evaluation_decision = outcome, findings, decision
    locked.evaluated_by, locked.evaluated_at = actor, timezone.now()
    fields = [*EVALUATION_FIELDS, "updated_at"]
    if decision == PilotDecision.REVISE:
        locked.status = ModelStatus.DRAFT
        fields.append("status")
    elif decision == PilotDecision.ABANDON:
        locked.status, locked.retired_at = ModelStatus.RETIRED, locked.evaluated_at
        fields += ["status", "retired_at"]
    locked._history_user = actor
    locked.save(update_fields=fields)
    return locked


def pilot_gate(model: DeploymentModel) -> str:
    """Why the pilot does not yet allow activation ("" when it does)."""
    if model.status == ModelStatus.DRAFT:
        return (
            f"{model} has not been piloted: a model becomes active after a pilot of {model.pilot_runs_required} "
            "confirmed deployments and its evaluation, or with a deployment manager's override_reason."
        )
    if missing := model.pilot_runs_missing:
        return (
            f"The pilot of {model} is missing {missing} of its {model.pilot_runs_required} confirmed deployments "
            f"({model.pilot_runs_confirmed} confirmed), then its evaluation; or give an override_reason."
        )
    if not model.is_evaluated:
        return f"The pilot of {model} has its runs but no evaluation yet: evaluate it, or give an override_reason."
    if model.evaluation_decision != PilotDecision.ACTIVATE:
        return f"The evaluation of the pilot of {model} decided to {model.evaluation_decision}, not to activate it."
    return ""
