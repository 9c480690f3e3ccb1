"""What stands between a deployment and its approval, besides conflicts and checks: what a draft lacks before it is
submitted, the promotion gate, the change-authorisation gate, pre-approval and the approvals its stage requires."""

import re
from dataclasses import dataclass

from django.conf import settings

from apps.deployment_models.models import ModelStatus
from apps.deployment_models.selectors import previous_stage
from apps.deployments import workflow
from apps.deployments.models import Action, ApprovalRole, Decision, Deployment
from apps.deployments.risk.policy import risk_extra_approvals
from apps.deployments.rules.conflicts import deployment_versions


def promotion_gaps(deployment: Deployment) -> list[str]:
    """Versions that have not completed the previous stage of the model's flow (empty when the gate is open)."""
    return promotion_gate(deployment)[1]


def promotion_gate(deployment: Deployment) -> tuple:
    """(the previous stage the versions must have completed, or None when there is no such gate; the gaps)."""
    return versions_promotion_gate(
        action=deployment.action,
        stage=deployment.stage,
        model=deployment.model,
        versions=deployment_versions(deployment),
    )


def versions_promotion_gate(*, action: str, stage, model, versions) -> tuple:
    """The promotion gate of component versions deployed into a model stage, planned or not (the build gate asks
    before there is a deployment): (the previous stage, or None when there is no gate; the gaps)."""
    if action != Action.DEPLOY or stage is None:
        return None, []
    previous = previous_stage(stage=stage)
    if previous is None:
        return None, []
    done = set(
        Deployment.component_versions.through.objects.filter(
            componentversion_id__in=[v.pk for v in versions],
            deployment__service_id__in={v.component.service_id for v in versions},  # see current_versions_in
            deployment__environment_id=previous.environment_id,
            deployment__status=workflow.Status.COMPLETED,
            deployment__action=Action.DEPLOY,
        ).values_list("componentversion_id", flat=True)
    )
    gaps = []
    for version in versions:
        if version.pk not in done:
            gaps.append(
                f"{version.component.name} {version.version} has no completed deployment in "
                f"{previous.environment} (the previous stage of {model})."
            )
    return previous, gaps


def submit_gaps(deployment: Deployment) -> dict[str, str]:
    """What a draft lacks before it can be submitted, by form field (empty when it can be)."""
    gaps = {}
    if not deployment.planned_start or not deployment.planned_end:
        gaps["planned_start"] = "Plan a window (start and end) before submitting."
    if not deployment_versions(deployment):
        gaps["component_versions"] = "Name at least one component version."
    return gaps


def change_ref_problem(value: str) -> str | None:
    """Why `value` is not an authorised change reference (settings.DEPLOYDESK_CHANGE_REF_PATTERN, matched whole),
    or None when it is one or is empty (whether one is required is change_ref_gap's question)."""
    value = (value or "").strip()
    pattern = settings.DEPLOYDESK_CHANGE_REF_PATTERN
    if not value or not pattern or re.fullmatch(pattern, value):
        return None
    return f"“{value[:100]}” is not a change reference: it must match {pattern}."


def change_ref_required(deployment: Deployment) -> bool:
    """True when the deployment's stage asks for an authorised change reference before approval."""
    return deployment.stage is not None and deployment.stage.requires_change_ref


def change_ref_gap(deployment: Deployment) -> str | None:
    """What stops approval on the change-authorisation gate: no reference, or one in the wrong format, where the
    stage requires one (naming the stage); None when the gate is passed."""
    if not change_ref_required(deployment):
        return None
    stage = deployment.stage
    where = f"Stage {stage.order} ({deployment.environment}) of {stage.model} requires an authorised change"
    if not (deployment.change_ref or "").strip():
        return f"{where}: record its change reference ({settings.DEPLOYDESK_CHANGE_REF_PATTERN}) before approval."
    problem = change_ref_problem(deployment.change_ref)
    return f"{where}; {problem}" if problem else None


def pre_approved(deployment: Deployment) -> bool:
    """True when its stage is pre-approved under an active model: submit approves it at once (when nothing clashes
    and the promotion gate is open); a pilot model never pre-approves."""
    return stage_pre_approved(stage=deployment.stage, model=deployment.model)


def stage_pre_approved(*, stage, model) -> bool:
    """A deployment into `stage` of `model` is approved on submit (see pre_approved)."""
    return stage is not None and stage.pre_approved and model is not None and model.status == ModelStatus.ACTIVE


@dataclass(frozen=True)
class ApprovalProgress:
    """Where a deployment's approval stands (DESIGN.md §2 "Required approvals")."""

    given: int
    required: int
    owner_required: bool
    owner_signed: bool
    deciders: frozenset  # ids of the users whose decision (either way) still stands

    @property
    def complete(self) -> bool:
        return self.given >= self.required and (self.owner_signed or not self.owner_required)


def required_approvals(deployment: Deployment) -> int:
    """How many approvals the deployment's stage asks for (at least one), and one more where its risk score reaches
    the stage's threshold."""
    return required_approvals_of(deployment.stage) + risk_extra_approvals(deployment)


def required_approvals_of(stage) -> int:
    """How many approvals a deployment into `stage` needs (at least one; one without a stage)."""
    return max(stage.approvals_required, 1) if stage is not None else 1


def approval_progress(deployment: Deployment) -> ApprovalProgress:
    """The approvals that still stand, counted against the stage's requirement, in one query."""
    rows = list(
        deployment.approvals.filter(superseded=False).values_list("user_id", "role", "decision", "on_behalf_of_id")
    )
    approved = [role for _, role, decision, _ in rows if decision == Decision.APPROVED]
    return ApprovalProgress(
        given=len(approved),
        required=required_approvals(deployment),
        owner_required=deployment.stage is not None and deployment.stage.requires_service_owner_approval,
        owner_signed=ApprovalRole.SERVICE_OWNER in approved,
        # a deputy's decision is the manager's too: neither decides again on the same plan
        deciders=frozenset(user_id for user_id, *_ in rows) | frozenset(behalf for *_, behalf in rows if behalf),
    )
