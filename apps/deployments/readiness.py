"""The readiness selector: each gate the next transition of an open deployment will check, passed or not and why —
computed by the same rule functions the transition service calls, so the page never disagrees with the refusal."""

from dataclasses import dataclass
from datetime import datetime

from django.template.defaultfilters import pluralize
from django.utils import timezone

from apps.deployments import rules, workflow
from apps.deployments.models import CheckKind, Deployment
from apps.deployments.permissions import requires_clearance, segregated_capacities
from apps.deployments.risk.policy import risk_extra_approval_reason, risk_refuses_preapproval
from apps.deployments.services.handover import handover_gap, handover_required
from apps.environments.selectors import cleared_user_ids

S = workflow.Status

# the conflict kinds of DESIGN.md §2, in its order: (code, gate, what "passed" means)
CONFLICT_GATES = (
    ("environment_busy", "Environment free", "No booked deployment overlaps in {env}."),
    ("component_busy", "Components free", "No booked deployment of these components overlaps the window."),
    ("freeze", "Freeze windows", "No freeze window of {env} overlaps the window."),
    ("outside_maintenance", "Maintenance windows", "The window is inside a maintenance window of {env}."),
    ("practitioner_busy", "Practitioners free", "No assigned practitioner is booked elsewhere in the window."),
    ("downgrade", "No downgrade", "No version is older than the one already in {env}."),
)
# each kind of check gate: (code, name); the code stays "checks" for the gates that came first
CHECK_GATE_NAMES = {
    CheckKind.ENTRY: ("entry_checks", "Entry criteria"),
    CheckKind.COMPONENT: ("checks", "Component checks"),
    CheckKind.ENVIRONMENT: ("checks", "Environment checks"),
    CheckKind.ACCEPTANCE: ("checks", "Acceptance checks"),
    CheckKind.EXIT: ("exit_checks", "Exit criteria"),
}


@dataclass(frozen=True)
class ReadinessItem:
    """One gate: `ok` when it would let the transition through; `detail` says why, in words."""

    transition: str  # the transition that checks it ("approve")
    code: str  # which gate, stable for pages and tests ("approvals", "promotion", "freeze", ...)
    gate: str
    ok: bool
    detail: str


def deployment_readiness(*, deployment: Deployment, user, now: datetime | None = None) -> list[ReadinessItem]:
    """The gates of the next transition(s) of an open deployment for `user`; [] when it is not open or its next
    step checks nothing (finish execution). A draft shows what submit checks and what approval will refuse."""
    status = deployment.status
    if status == S.DRAFT:
        return _submit(deployment) + _approve(deployment, user, booked_only=False, transition="submit")
    if status == S.PENDING_APPROVAL:
        return _approve(deployment, user, booked_only=True, transition="approve")
    if status == S.APPROVED:
        return _start(deployment, now or timezone.now())
    transition = {
        S.VERIFYING_COMPONENTS: "confirm-components",
        S.VERIFYING_ENVIRONMENT: "confirm-environment",
        S.VERIFYING: "complete",
    }.get(status)
    items = _checks(deployment, transition) if transition else []
    if status == S.VERIFYING and handover_required(deployment):
        gap = handover_gap(deployment)
        items.append(
            ReadinessItem("complete", "handover", "Handover note", not gap, gap or "The handover note is written.")
        )
    return items


def _submit(deployment: Deployment) -> list[ReadinessItem]:
    gaps = rules.submit_gaps(deployment)
    detail = " ".join(gaps.values()) or "A window is planned and component versions are named."
    items = [ReadinessItem("submit", "plan", "Plan complete", not gaps, detail)]
    refusal = risk_refuses_preapproval(deployment) if rules.pre_approved(deployment) else ""
    if refusal:  # not a gate: submitting still works, and sends it for approval
        items.append(ReadinessItem("submit", "pre_approved", "Pre-approval", True, refusal))
    elif rules.pre_approved(deployment):
        items.append(
            ReadinessItem(
                "submit",
                "pre_approved",
                "Pre-approved stage",
                True,
                f"Stage {deployment.stage.order} of {deployment.model} is pre-approved: submitting approves it at once "
                "when every gate below is passed.",
            )
        )
    return items


def _approve(deployment: Deployment, user, *, booked_only: bool, transition: str) -> list[ReadinessItem]:
    items = []
    progress = rules.approval_progress(deployment)
    if transition == "approve":
        items += _decider(deployment, user, progress)
    missing = max(progress.required - progress.given, 0)
    items.append(
        ReadinessItem(
            "approve",
            "approvals",
            "Approvals",
            progress.given >= progress.required,
            f"{progress.given} of {progress.required} required approval{pluralize(progress.required)} given"
            + (f"; {missing} more needed." if missing else ".")
            + (f" {extra}" if (extra := risk_extra_approval_reason(deployment)) else ""),
        )
    )
    if progress.owner_required:
        items.append(
            ReadinessItem(
                "approve",
                "service_owner",
                "Service-owner sign-off",
                progress.owner_signed,
                f"An owner of {deployment.service} has signed off."
                if progress.owner_signed
                else f"The stage asks for sign-off by an owner of {deployment.service}; none has approved yet.",
            )
        )
    items += _change_ref(deployment, "approve")
    items.append(_promotion(deployment, "approve"))
    items.append(_acceptance(deployment))
    if not deployment.planned_start or not deployment.planned_end:
        items.append(ReadinessItem("approve", "window", "Window", False, "No window planned: conflicts are unknown."))
        return items
    conflicts = rules.deployment_conflicts(deployment, booked_only=booked_only)
    env = deployment.environment
    for code, gate, passed in CONFLICT_GATES:
        found = [c.message for c in conflicts if c.code == code]
        detail = " ".join(found) if found else passed.format(env=env)
        if not found and code == "environment_busy" and env.allows_parallel_deployments:
            detail = f"{env} allows parallel deployments."
        if not found and code == "outside_maintenance" and not env.requires_maintenance_window:
            detail = f"{env} accepts deployments at any time (no maintenance windows required)."
        if not found and code == "downgrade" and deployment.is_rollback:
            detail = "A stated rollback may deploy an older version."
        items.append(ReadinessItem("approve", code, gate, not found, detail))
    return items


def _change_ref(deployment: Deployment, transition: str) -> list[ReadinessItem]:
    """The change-authorisation gate, where the stage asks for a reference or one is recorded (rules.change_ref_gap
    is what the approval refuses on)."""
    ref = (deployment.change_ref or "").strip()
    if not rules.change_ref_required(deployment) and not ref:
        return []
    gap = rules.change_ref_gap(deployment) or rules.change_ref_problem(ref)
    if gap:
        detail = gap
    elif rules.change_ref_required(deployment):
        detail = f"Authorised by change {ref}, as stage {deployment.stage.order} requires."
    else:
        detail = f"Change {ref} recorded (this stage does not require one)."
    return [ReadinessItem(transition, "change_ref", "Change authorisation", not gap, detail)]


def _decider(deployment: Deployment, user, progress) -> list[ReadinessItem]:
    """Whether this user's own decision would be refused (segregation of duties, a decision already given)."""
    if segregated_capacities(user, deployment, workflow.TRANSITIONS["approve"]):
        return [
            ReadinessItem(
                "approve",
                "segregation",
                "Segregation of duties",
                False,
                "You requested this deployment: someone else must approve it.",
            )
        ]
    if user.pk in progress.deciders:
        return [ReadinessItem("approve", "decided", "Your decision", False, "You have already decided on it.")]
    return []


def _acceptance(deployment: Deployment) -> ReadinessItem:
    """On a controlled environment, approval needs at least one acceptance check (the evidence rules)."""
    gap = rules.acceptance_gap(deployment)
    if gap:
        return ReadinessItem("approve", "acceptance", "Acceptance check", False, gap)
    env, count = deployment.environment, len(rules.acceptance_criteria(deployment))
    if count:
        detail = f"{count} acceptance check{pluralize(count)} named: made at approval."
    elif env.controlled:
        detail = "Its acceptance checks are already made."
    else:
        detail = f"{env} is not a controlled environment: an acceptance check is not required."
    return ReadinessItem("approve", "acceptance", "Acceptance check", True, detail)


def _promotion(deployment: Deployment, transition: str) -> ReadinessItem:
    previous, gaps = rules.promotion_gate(deployment)
    if gaps:
        detail = " ".join(gaps)
    elif previous is not None:
        detail = f"Every version has a completed deployment in {previous.environment} (the previous stage)."
    elif deployment.is_removal:
        detail = "A removal is not promoted."
    elif deployment.stage is None:
        detail = "Not under a model stage: no promotion gate."
    else:
        detail = f"Stage {deployment.stage.order} is the first of {deployment.model}: nothing to promote from."
    return ReadinessItem(transition, "promotion", "Promotion", not gaps, detail)


def _start(deployment: Deployment, now: datetime) -> list[ReadinessItem]:
    env = deployment.environment
    conflicts = rules.start_conflicts(deployment, now)
    items = []
    for code, gate, passed in (
        ("freeze", "Freeze windows", "No freeze window of {env} is in force now."),
        ("outside_maintenance", "Maintenance windows", "{env} accepts deployments now."),
    ):
        found = [c.message for c in conflicts if c.code == code]
        items.append(ReadinessItem("start", code, gate, not found, " ".join(found) or passed.format(env=env)))
    items.append(_promotion(deployment, "start"))
    practitioners = list(deployment.practitioners.all())
    if not practitioners:
        detail, ok = "No practitioner assigned: only a deployment manager can start it.", True
    elif not requires_clearance(env):
        detail, ok = f"{env} is not a controlled environment: every assigned practitioner may start it.", True
    else:
        cleared = cleared_user_ids(environment=env, user_ids=[p.pk for p in practitioners])
        uncleared = [p.get_full_name() or p.username for p in practitioners if p.pk not in cleared]
        ok = not uncleared
        detail = (
            f"Not cleared for {env}: {', '.join(uncleared)} (a deployment manager may still start it)."
            if uncleared
            else f"Every assigned practitioner is cleared for {env}."
        )
    items.append(ReadinessItem("start", "clearance", "Practitioner clearance", ok, detail))
    return items + _checks(deployment, "start")


def _checks(deployment: Deployment, transition: str) -> list[ReadinessItem]:
    """One item per kind of check the gate needs; the entry and exit criteria only where the stage has them."""
    # a deployment read for its page knows whether it has any check at all (deployment_get's has_checks)
    checks = list(rules.gate_checks(deployment, transition)) if getattr(deployment, "has_checks", True) else []
    items = []
    for kind in rules.GATES[transition]:
        of_kind = [c for c in checks if c.kind == kind]
        if not of_kind and kind in (CheckKind.ENTRY, CheckKind.EXIT):
            continue
        unpassed = [c for c in of_kind if c.result not in rules.PASSED]
        code, name = CHECK_GATE_NAMES[kind]
        if not of_kind:
            detail = f"No required {rules.KIND_WORDS[kind]} check."
        elif unpassed:
            listed = "; ".join(f"{c.description} ({c.get_result_display().lower()})" for c in unpassed)
            detail = f"{len(of_kind) - len(unpassed)} of {len(of_kind)} passed. Not passed: {listed}."
        else:
            detail = f"All {len(of_kind)} passed."
        items.append(ReadinessItem(transition, code, name, not unpassed, detail))
    return items
