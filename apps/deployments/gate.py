"""The deployment gate for pipelines: may this deployment (or this build) start now, and if not, every reason why —
answered by the same rule functions the transition service calls and the Readiness panel shows (rules/,
permissions.py), so the gate never says yes to a start the service would refuse."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from apps.deployments import rules, workflow
from apps.deployments.models import Action, Deployment
from apps.deployments.permissions import (
    clearance_gap,
    is_assigned_practitioner,
    may_request_for_service,
    may_start_build,
    may_take,
    practitioner_cleared,
)

S = workflow.Status

# the gate's reason codes (DESIGN.md §5) — the rules' conflict codes map onto them
NOT_APPROVED, FREEZE, OUTSIDE_WINDOW, PROMOTION_GAP, CONFLICT, CLEARANCE = (
    "not_approved",
    "freeze",
    "outside_maintenance_window",
    "promotion_gap",
    "conflict",
    "clearance",
)
CODES = (NOT_APPROVED, FREEZE, OUTSIDE_WINDOW, PROMOTION_GAP, CONFLICT, CLEARANCE)
CONFLICT_CODES = {"freeze": FREEZE, "outside_maintenance": OUTSIDE_WINDOW}  # every other conflict is a `conflict`
BUILD_WINDOW = timedelta(hours=1)  # how long a build is assumed to run when asked about before it is planned


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str


@dataclass
class Gate:
    """The answer: `may_start` when nothing stands in the way; `may_plan` only for a build."""

    reasons: list[Reason] = field(default_factory=list)
    may_plan: bool = True

    @property
    def may_start(self) -> bool:
        return self.may_plan and not self.reasons

    def add(self, code: str, detail: str) -> None:
        reason = Reason(code, detail)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def add_conflicts(self, conflicts) -> None:
        for conflict in conflicts:
            self.add(CONFLICT_CODES.get(conflict.code, CONFLICT), conflict.message)


def deployment_gate(*, deployment: Deployment, user, now: datetime | None = None) -> Gate:
    """May `user` start this deployment now? Only an approved deployment starts; one not approved yet also gets what
    approval would refuse (its plan's conflicts), and every open one what starting now would: a freeze in force,
    no maintenance window, the promotion gate, and whether `user` may start it (a practitioner's clearance)."""
    now = now or timezone.now()
    gate = Gate()
    status = deployment.status
    if status != S.APPROVED:
        gate.add(NOT_APPROVED, _not_approved_detail(deployment))
    if status not in (S.DRAFT, S.PENDING_APPROVAL, S.APPROVED):
        return gate  # started or closed: nothing else to say
    if status != S.APPROVED and deployment.planned_start and deployment.planned_end:
        gate.add_conflicts(rules.deployment_conflicts(deployment, booked_only=True))  # what approval refuses
    gate.add_conflicts(rules.start_conflicts(deployment, now))
    for gap in rules.promotion_gaps(deployment):
        gate.add(PROMOTION_GAP, gap)
    if not may_take(user, deployment, "start"):
        gate.add(CLEARANCE, _clearance_detail(deployment, user))
    return gate


def _not_approved_detail(deployment: Deployment) -> str:
    ref, status = deployment.reference, deployment.get_status_display().lower()
    if deployment.status == S.PENDING_APPROVAL:
        progress = rules.approval_progress(deployment)
        owner = " and a service owner's sign-off" if progress.owner_required and not progress.owner_signed else ""
        return f"{ref} is pending approval: {progress.given} of {progress.required} approvals given{owner}."
    if deployment.status == S.DRAFT:
        return f"{ref} is a draft: submit it for approval first."
    if deployment.status in workflow.IN_PROGRESS:
        return f"{ref} has already started ({status})."
    return f"{ref} is {status}: it will not start."


def _clearance_detail(deployment: Deployment, user) -> str:
    env = deployment.environment
    if is_assigned_practitioner(user, deployment) and not practitioner_cleared(user, env):
        return (
            clearance_gap(user, deployment) or f"You are assigned to {deployment.reference} but not cleared for {env}."
        )
    return (
        f"You may not start {deployment.reference}: only its assigned practitioners (cleared for {env}) and "
        "deployment managers may."
    )


def build_gate(*, user, environment, version, model=None, stage=None, now: datetime | None = None) -> Gate:
    """May `user` plan a deployment of a build (a component version, registered or not) into `environment`, and would it
    start now? Planning needs the right to request for the component's service; starting at once also needs a
    pre-approved stage (otherwise a deployment manager approves first), no conflict or freeze from now for an hour,
    the promotion gate open and a user who may start it. `stage` is `model`'s stage into `environment`, if any."""
    now = now or timezone.now()
    component = version.component
    gate = Gate(may_plan=may_request_for_service(user, component.service))
    if not rules.stage_pre_approved(stage=stage, model=model):
        if stage is not None:
            gate.add(
                NOT_APPROVED,
                f"Stage {stage.order} ({environment}) of {model} is not pre-approved: a deployment of "
                f"{component.name} {version.version} needs {rules.required_approvals_of(stage)} approval(s) first.",
            )
        else:
            gate.add(
                NOT_APPROVED,
                f"No pre-approved model stage covers {component.name} in {environment}: a deployment manager "
                "approves the deployment first.",
            )
    gate.add_conflicts(
        rules.plan_conflicts(
            environment=environment, start=now, end=now + BUILD_WINDOW, versions=[version], booked_only=True
        )
    )
    _previous, gaps = rules.versions_promotion_gate(action=Action.DEPLOY, stage=stage, model=model, versions=[version])
    for gap in gaps:
        gate.add(PROMOTION_GAP, gap)
    if not may_start_build(user, environment):
        gate.add(
            CLEARANCE,
            f"You may not start deployments in {environment}: only deployment managers and practitioners cleared "
            "for it may.",
        )
    return gate
