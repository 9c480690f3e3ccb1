"""The only code that changes a deployment's status: `deployment_transition` (DESIGN.md §2, STYLE.md rule 2)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.chain import atomic_audited
from apps.core import outbound
from apps.core.exceptions import ConflictError
from apps.core.outbox import outbox_enqueue
from apps.core.permissions import user_can
from apps.deployments import rules, workflow
from apps.deployments.models import (
    Approval,
    ApprovalRole,
    Check,
    CheckKind,
    Decision,
    Deployment,
    EventKind,
)
from apps.deployments.permissions import actor_capacities, deputy_delegation, transition_refusal
from apps.deployments.risk.policy import risk_extra_approval_reason, risk_refuses_preapproval
from apps.deployments.risk.services import deployment_risk_apply
from apps.deployments.services.calendar_days import counts_after, counts_before
from apps.deployments.services.events import Context, event_record
from apps.deployments.services.handover import handover_apply, handover_gap
from apps.deployments.services.kpi_rollup import rollup_after, rollup_before
from apps.deployments.services.matrix_snapshot import matrix_record_final
from apps.deployments.services.notices import after_transition
from apps.deployments.services.practitioner_counts import practitioner_counts_after, practitioner_key
from apps.environments.models import Environment

S = workflow.Status


def _override_allowed(ctx: Context, override_reason: str) -> bool:
    return bool(override_reason.strip()) and user_can(ctx.actor, "deployments.override_deployment")


def _refuse_or_override(ctx, deployment, problems: list, override_reason: str, code: str, what: str) -> list:
    """Refuse with a 409 unless a deployment manager overrides with a justification; returns what was overridden."""
    if not problems:
        return []
    if override_reason.strip() and not user_can(ctx.actor, "deployments.override_deployment"):
        raise PermissionDenied("Only a deployment manager may override, and always with a justification.")
    if not _override_allowed(ctx, override_reason):
        raise ConflictError(
            f"{deployment.reference}: {what}. A deployment manager may override with a justification.",
            code=code,
            conflicts=[str(p) for p in problems],
        )
    return [str(p) for p in problems]


def checks_ensure(deployment: Deployment) -> int:
    """Create the checks the plan calls for, once: one per entry criterion of the stage, per component version,
    per standing check of the environment, per acceptance criterion of the stage and of the deployment, and per
    exit criterion of the stage. Returns how many were added."""
    existing = set(deployment.checks.values_list("kind", "description"))
    wanted: list[Check] = []

    def add(kind, description, **extra):
        description = description[:300]
        if (kind, description) not in existing:
            existing.add((kind, description))
            wanted.append(Check(deployment=deployment, kind=kind, description=description, **extra))

    for line in rules.stage_criteria(deployment, CheckKind.ENTRY):
        add(CheckKind.ENTRY, line)
    for version in deployment.component_versions.select_related("component"):
        verb = "removal of" if deployment.is_removal else "integrity of"
        detail = " against its SHA-256 checksum" if version.checksum else " against the authorised repository"
        add(
            CheckKind.COMPONENT,
            f"Verify {verb} {version.component.name} {version.version}{detail}",
            component_version=version,
        )
    for check in deployment.environment.standing_checks.filter(is_active=True):
        add(CheckKind.ENVIRONMENT, check.description)
    for line in rules.acceptance_criteria(deployment):
        add(CheckKind.ACCEPTANCE, line)
    for line in rules.stage_criteria(deployment, CheckKind.EXIT):
        add(CheckKind.EXIT, line)
    Check.objects.bulk_create(wanted)
    return len(wanted)


def _refuse_unpassed_checks(deployment: Deployment, transition: str) -> None:
    """A gate's required checks must all have passed (or been found not applicable, with a reason): never
    overridden, since the checks are the evidence the record rests on."""
    unpassed = rules.unpassed_checks(deployment, transition)
    if unpassed:
        kinds = [rules.KIND_WORDS[k] for k in rules.GATES[transition] if any(c.kind == k for c in unpassed)]
        raise ConflictError(
            f"{deployment.reference}: {len(unpassed)} required {' and '.join(kinds)} check(s) not passed.",
            code="checks_not_passed",
            conflicts=[c.description for c in unpassed],
        )


def _refuse_without_acceptance(deployment: Deployment) -> None:
    gap = rules.acceptance_gap(deployment)
    if gap:
        raise ConflictError(f"{deployment.reference}: {gap}", code="acceptance_check_missing")


def _on_behalf_of(actor, deployment, capacities):
    """The manager a deputy decides for (None unless the actor decides as a deputy and not as a manager)."""
    if workflow.DEPUTY not in capacities or workflow.MANAGER in capacities:
        return None
    return deputy_delegation(actor, deployment).manager


def _decision_data(role, behalf) -> dict:
    data = {"approval_role": role}
    if behalf is not None:
        data["on_behalf_of"] = behalf.username
    return data


def _approve(ctx, deployment, capacities, comment, override_reason) -> tuple[str, list, dict]:
    actor = ctx.actor
    behalf = _on_behalf_of(actor, deployment, capacities)
    deciders = rules.approval_progress(deployment).deciders
    if actor.pk in deciders:
        raise ConflictError(f"You have already decided on {deployment.reference}.", code="already_decided")
    if behalf is not None and behalf.pk in deciders:
        raise ConflictError(
            f"{behalf} has already decided on {deployment.reference}: a deputy does not decide for them again.",
            code="already_decided",
        )
    _refuse_without_acceptance(deployment)
    _require_change_ref(deployment)
    overridden = _refuse_or_override(
        ctx,
        deployment,
        rules.deployment_conflicts(deployment, booked_only=True),
        override_reason,
        "schedule_conflict",
        "the plan conflicts",
    )
    overridden += _refuse_or_override(
        ctx,
        deployment,
        rules.promotion_gaps(deployment),
        override_reason,
        "promotion_gate",
        "the promotion gate is closed",
    )
    role = _approval_role(capacities)
    Approval.objects.create(
        deployment=deployment,
        user=actor,
        role=role,
        decision=Decision.APPROVED,
        comment=comment,
        on_behalf_of=behalf,
    )
    progress = rules.approval_progress(deployment)
    if progress.complete:
        authorised = {"change_ref": deployment.change_ref} if deployment.change_ref else {}
        return S.APPROVED, overridden, {**_decision_data(role, behalf), **authorised}
    return (
        S.PENDING_APPROVAL,
        overridden,
        {
            **_decision_data(role, behalf),
            "approvals": progress.given,
            "approvals_required": progress.required,
        },
    )


def _approval_role(capacities) -> str:
    """A deputy decides as the deployment manager they stand in for; otherwise a manager, or a signing-off owner."""
    if capacities & {workflow.MANAGER, workflow.DEPUTY}:
        return ApprovalRole.MANAGER
    return ApprovalRole.SERVICE_OWNER


def _require_change_ref(deployment: Deployment) -> None:
    """An authorised change is not something a manager overrides: without it (where the stage asks) no approval."""
    gap = rules.change_ref_gap(deployment)
    if gap:
        raise ConflictError(f"{deployment.reference}: {gap}", code="change_ref_required")


def _validate_submittable(deployment: Deployment) -> None:
    errors = rules.submit_gaps(deployment)
    if gap := rules.acceptance_gap(deployment):
        errors["acceptance_criteria"] = gap  # a draft that could never be approved is not sent for approval
    if errors:
        raise ValidationError(errors)


@atomic_audited
def deployment_transition(
    *,
    ctx: Context,
    deployment: Deployment,
    transition: str,
    comment: str = "",
    override_reason: str = "",
    expected_version: int | None = None,
    system: bool = False,
    handover_note: str | None = None,
    knowledge_links: list | str | None = None,
) -> Deployment:
    """Take `transition`: lock the row, check the table, the actor and the rules, save, record the event and
    notify the stakeholders after commit. Refusals raise and change nothing.

    `handover_note` and `knowledge_links` (complete only) write the handover at completion.

    `system` is for the services alone: they take a system transition (replan) as the consequence of what
    `ctx.actor` did; no page, API call or admin action ever sets it."""
    spec = workflow.TRANSITIONS.get(transition)
    if spec is None:
        raise ValidationError({"transition": f"Unknown action “{transition}”."})
    comment = (comment or "").strip()
    override_reason = (override_reason or "").strip()
    locked = (
        Deployment.objects.select_for_update(of=("self",))
        .select_related("stage", "model", "environment", "service")
        .get(pk=deployment.pk)
    )
    if transition in ("approve", "start"):
        # Serialise decisions that book an environment's time: two approvals of overlapping windows in the same
        # environment run one after the other, so the second sees the first and refuses (or is overridden).
        Environment.objects.select_for_update().filter(pk=locked.environment_id).first()
    # a person's capacities include segregation of duties; the system takes only the system's transitions
    capacities = {workflow.SYSTEM} & set(spec.actors) if system else actor_capacities(ctx.actor, locked, spec)
    if not capacities:
        raise PermissionDenied(transition_refusal(ctx.actor, locked, spec))
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.reference} was changed by someone else (version {expected_version}, now {locked.version}). "
            "Reload it and try again.",
            code="stale_version",
        )
    if locked.status not in spec.sources:
        raise ConflictError(
            f"{locked.reference} is {locked.get_status_display().lower()}: “{spec.label}” is not possible now.",
            code="invalid_transition",
        )
    if spec.needs_comment and not comment:
        raise ValidationError({"comment": f"Say why ({spec.label.lower()})."})
    if transition != "complete" and (handover_note or knowledge_links):
        raise ValidationError({"handover_note": "The handover is written when completing, not with this action."})
    now = timezone.now()
    counted = rollup_before(locked)  # the KPI rollup follows every status change, in this transaction
    on_days = counts_before(locked)  # and so do the calendar's day counts and the backlog
    experience = practitioner_key(locked)  # and the practitioners' finished deployments (the risk's experience)
    target, overridden, data = spec.target, [], {}
    event_comment = comment
    if transition in rules.GATES:
        _refuse_unpassed_checks(locked, transition)

    if transition == "submit":
        _validate_submittable(locked)
        locked.submitted_at = now
        deployment_risk_apply(deployment=locked)  # scored on today's records as it goes for approval
        conflicts = rules.deployment_conflicts(locked)
        if conflicts:
            data["conflicts"] = [str(c) for c in conflicts]
        risk_refusal = risk_refuses_preapproval(locked) if rules.pre_approved(locked) else ""
        if risk_refusal:
            data["pre_approval_refused"] = risk_refusal
            event_comment = (comment + "\n" if comment else "") + risk_refusal
        elif rules.pre_approved(locked) and not conflicts and not rules.promotion_gaps(locked):
            _require_change_ref(locked)  # this submit is the approval: the change must be authorised first
            target = S.APPROVED
            locked.approved_at = now
            data["pre_approved_by"] = str(locked.model)
            event_comment = (comment + "\n" if comment else "") + (
                f"Approved at once: stage {locked.stage.order} ({locked.environment}) of {locked.model} "
                "is pre-approved."
            )
    elif transition == "approve":
        target, overridden, data = _approve(ctx, locked, capacities, comment, override_reason)
        if target == S.APPROVED:
            locked.approved_at = now
        elif extra := risk_extra_approval_reason(locked):
            data["risk_extra_approval"] = extra
            event_comment = (comment + "\n" if comment else "") + extra
    elif transition == "reject":
        role = _approval_role(capacities)
        behalf = _on_behalf_of(ctx.actor, locked, capacities)
        Approval.objects.create(
            deployment=locked,
            user=ctx.actor,
            role=role,
            decision=Decision.REJECTED,
            comment=comment,
            on_behalf_of=behalf,
        )
        data = _decision_data(role, behalf)
    elif transition == "revise":
        locked.approvals.filter(superseded=False).update(superseded=True)
        locked.submitted_at = None
    elif transition == "start":
        overridden = _refuse_or_override(
            ctx, locked, rules.start_conflicts(locked, now), override_reason, "freeze", "it cannot start now"
        )
        overridden += _refuse_or_override(
            ctx, locked, rules.promotion_gaps(locked), override_reason, "promotion_gate", "the promotion gate is closed"
        )
        locked.actual_start = now
    elif transition == "complete":
        handover_apply(locked, handover_note=handover_note, knowledge_links=knowledge_links)
        if gap := handover_gap(locked):
            raise ConflictError(gap, code="handover_required")  # never overridden: the service desk needs it
        locked.actual_end = now
        if comment:
            locked.outcome = comment
    elif transition == "fail":
        locked.actual_end = now
        locked.outcome = comment
    elif transition == "replan":
        locked.approvals.filter(superseded=False).update(superseded=True)
        locked.approved_at = None
        deployment_risk_apply(deployment=locked)
    elif transition == "roll-back":
        locked.outcome = (locked.outcome + "\n" if locked.outcome else "") + f"Rolled back: {comment}"

    if data.get("on_behalf_of"):
        event_comment = (
            comment + "\n" if comment else ""
        ) + f"On behalf of {data['on_behalf_of']} (delegation of approval)."
    from_status = locked.status
    locked.status = target
    locked.version += 1
    if overridden:
        locked.override_count += 1
    locked.save()
    if target in workflow.FINISHED:
        matrix_record_final(deployment=locked)  # the "what is where" snapshot follows every final status
    if target == S.APPROVED:
        checks_ensure(locked)
    if overridden:
        event_record(
            deployment=locked,
            ctx=ctx,
            kind=EventKind.OVERRIDE,
            comment=override_reason,
            data={"transition": transition, "overridden": overridden},
        )
    event = event_record(
        deployment=locked,
        ctx=ctx,
        kind=EventKind.TRANSITION if target != from_status else EventKind.APPROVAL,
        from_status=from_status,
        to_status=target,
        comment=event_comment,
        data={"transition": transition, **data},
        notify=True,
    )
    rollup_after(locked, counted)  # after the event: a roll-back's time is the event's
    counts_after(locked, on_days)
    practitioner_counts_after(locked, experience)
    after_transition(event=event, transition=transition)  # the service desk, consumers and suppliers are told
    # outbound listeners (signed webhooks) hear of it after commit, by the event's id
    outbound.publish_on_commit(f"deployment.{transition}", object_id=event.pk)
    if target == S.PENDING_APPROVAL:
        outbound.publish_on_commit("approval.needed", object_id=event.pk)
    if transition == "complete":
        outbox_enqueue("apps.deployments.tasks.request_feedback", locked.pk, key=f"feedback-{locked.pk}")
    if transition in ("fail", "roll-back"):
        outbox_enqueue("apps.reviews.tasks.on_deployment_failed", locked.pk, key=f"failure-review-{locked.pk}")
    return locked
