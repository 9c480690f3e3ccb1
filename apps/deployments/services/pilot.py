"""Model testing on a deployment: a deployment manager confirms a completed run under a model in pilot."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.audit.chain import atomic_audited
from apps.core.exceptions import ConflictError
from apps.deployment_models.models import ModelStatus
from apps.deployment_models.services import model_pilot_run_record
from apps.deployments import workflow
from apps.deployments.models import Deployment, EventKind
from apps.deployments.permissions import is_manager
from apps.deployments.services.events import Context, event_record


def pilot_confirm_refusal(deployment: Deployment) -> str:
    """Why this deployment has no pilot run to confirm now ("" when it has): the page offers the action only then."""
    model = deployment.model
    if model is None or model.status != ModelStatus.PILOT:
        return f"{deployment.reference} is not under a model in pilot: there is no pilot run to confirm."
    if deployment.pilot_confirmed_at is not None:
        return f"{deployment.reference} was confirmed as a pilot run already."
    if deployment.status != workflow.Status.COMPLETED:
        return (
            f"{deployment.reference} is {deployment.get_status_display().lower()}: a pilot run is confirmed once "
            "it is completed."
        )
    if model.is_evaluated:
        return f"The pilot of {model} has been evaluated already."
    return ""


@atomic_audited
def deployment_pilot_confirm(*, ctx: Context, deployment: Deployment, comment: str = "") -> Deployment:
    """A deployment manager confirms that they oversaw this completed deployment under a model in pilot: who, when
    and their comment are recorded on it and in its timeline, and the model counts one more pilot run."""
    if not is_manager(ctx.actor):
        raise PermissionDenied("Only a deployment manager confirms a pilot run.")
    locked = Deployment.objects.select_for_update(of=("self",)).select_related("model").get(pk=deployment.pk)
    if refusal := pilot_confirm_refusal(locked):
        raise ConflictError(refusal, code="pilot_confirm_refused")
    model = model_pilot_run_record(model=locked.model, actor=ctx.actor)
    comment = (comment or "").strip()
    locked.pilot_confirmed_by, locked.pilot_confirmed_at, locked.pilot_comment = ctx.actor, timezone.now(), comment
    locked.version += 1
    locked._history_user = ctx.actor
    locked.save(update_fields=["pilot_confirmed_by", "pilot_confirmed_at", "pilot_comment", "version", "updated_at"])
    event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.PILOT,
        comment=(
            f"Pilot run of {model} confirmed ({model.pilot_runs_confirmed} of {model.pilot_runs_required})"
            + (f": {comment}" if comment else ".")
        ),
        data={"model_id": model.pk, "pilot_runs_confirmed": model.pilot_runs_confirmed},
    )
    return locked
