"""What the process records on a deployment besides its status: checks, comments, incidents, problems, feedback."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.chain import atomic_audited
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import (
    Check,
    CheckKind,
    CheckResult,
    Deployment,
    DeploymentProblem,
    EventKind,
    Feedback,
    IncidentLink,
    Severity,
)
from apps.deployments.permissions import may_comment, may_execute, may_rate, may_rate_now, may_record_check
from apps.deployments.selectors.visibility import deployment_visible
from apps.deployments.services.events import Context, event_record
from apps.deployments.services.kpi_rollup import rollup_kept

# Which checks may be recorded in which state: each kind up to the gate that needs it.
RECORDABLE = {
    CheckKind.ENTRY: (workflow.Status.APPROVED,),
    CheckKind.COMPONENT: (workflow.Status.APPROVED, workflow.Status.VERIFYING_COMPONENTS),
    CheckKind.ENVIRONMENT: (
        workflow.Status.APPROVED,
        workflow.Status.VERIFYING_COMPONENTS,
        workflow.Status.VERIFYING_ENVIRONMENT,
    ),
    CheckKind.ACCEPTANCE: (workflow.Status.EXECUTING, workflow.Status.VERIFYING),
    CheckKind.EXIT: (workflow.Status.EXECUTING, workflow.Status.VERIFYING),
}


def _evidence_gap(check: Check, result: str, evidence: str) -> str:
    """What the evidence rules miss ("" when none): a required check passes only with evidence, and an N/A of
    any check says why it does not apply. Blank text is no evidence."""
    if evidence:
        return ""
    if result == CheckResult.NOT_APPLICABLE:
        return "Say why this check does not apply: an N/A needs its reason in the evidence."
    if result == CheckResult.PASS and check.required:
        return "A required check passes only with evidence: say what was verified and how (a log, a reading, a link)."
    return ""


@atomic_audited
def check_record(*, ctx: Context, check: Check, result: str, evidence: str = "", observed_checksum: str = "") -> Check:
    """Record a check's result with evidence: a required check's pass needs evidence and any N/A a reason (both in
    `evidence`). A component check whose observed checksum differs from the version's recorded SHA-256 fails,
    whatever result was given."""
    deployment = Deployment.objects.select_for_update().get(pk=check.deployment_id)
    if not may_record_check(ctx.actor, deployment, check.kind):
        raise PermissionDenied(
            "Only the assigned practitioners or a deployment manager record checks (and the supplier's contacts its "
            "component, environment and acceptance checks)."
        )
    if result not in CheckResult.values or result == CheckResult.PENDING:
        raise ValidationError({"result": "Give a result: pass, fail or n_a."})
    if deployment.status not in RECORDABLE[check.kind]:
        raise ConflictError(
            f"{check.get_kind_display()} checks cannot be recorded while {deployment.reference} is "
            f"{deployment.get_status_display().lower()}.",
            code="invalid_state",
        )
    evidence = (evidence or "").strip()
    observed = (observed_checksum or "").strip().lower()
    if observed and (len(observed) != 64 or any(c not in "0123456789abcdef" for c in observed)):
        raise ValidationError({"observed_checksum": "A SHA-256 checksum is 64 hexadecimal characters."})
    note = ""
    if check.kind == CheckKind.COMPONENT and check.component_version_id and result == CheckResult.PASS:
        expected = check.component_version.checksum
        if expected and not observed:
            raise ValidationError({"observed_checksum": "Give the checksum you observed; this version has one."})
        if expected and observed != expected:
            result = CheckResult.FAIL
            note = f"Checksum mismatch: observed {observed}, expected {expected}."
    if gap := _evidence_gap(check, result, evidence):  # a pass turned into a failure by its checksum needs none
        raise ValidationError({"evidence": gap})
    check.result = result
    check.evidence = evidence + (("\n" if evidence else "") + note if note else "")
    check.observed_checksum = observed
    check.recorded_by = ctx.actor
    check.recorded_at = timezone.now()
    check.save()
    deployment.version += 1
    deployment.save(update_fields=["version", "updated_at"])
    event_record(
        deployment=deployment,
        ctx=ctx,
        kind=EventKind.CHECK,
        comment=f"{check.get_kind_display()} check “{check.description}”: {check.get_result_display()}. {note}".strip(),
        data={"check_id": check.pk, "result": result},
    )
    return check


@atomic_audited
def comment_add(*, ctx: Context, deployment: Deployment, comment: str):
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Write a comment."})
    if not (deployment_visible(user=ctx.actor, deployment=deployment) and may_comment(ctx.actor, deployment)):
        raise PermissionDenied("You may not comment on this deployment.")
    return event_record(deployment=deployment, ctx=ctx, kind=EventKind.COMMENT, comment=comment)


@atomic_audited
def incident_link_add(
    *, ctx: Context, deployment: Deployment, incident_ref: str, title: str = "", severity: str = "", opened_at=None
) -> IncidentLink:
    """Attribute an incident to the deployment (managers and its practitioners)."""
    if not may_execute(ctx.actor, deployment):
        raise PermissionDenied("Only a deployment manager or an assigned practitioner links incidents.")
    incident_ref = (incident_ref or "").strip()
    if not incident_ref:
        raise ValidationError({"incident_ref": "Give the incident's reference."})
    try:
        with rollup_kept(deployment), transaction.atomic():
            link = IncidentLink.objects.create(
                deployment=deployment,
                incident_ref=incident_ref[:100],
                title=(title or "")[:200],
                severity=(severity or "")[:10],
                opened_at=opened_at or timezone.now(),
                created_by=ctx.actor,
            )
    except IntegrityError as exc:
        raise ValidationError({"incident_ref": f"{incident_ref} is already linked."}) from exc
    event_record(
        deployment=deployment,
        ctx=ctx,
        kind=EventKind.INCIDENT,
        comment=f"Incident {incident_ref} linked.",
        data={"incident_id": link.pk, "incident_ref": link.incident_ref},
    )
    return link


def _locked_link(ctx: Context, link: IncidentLink, what: str) -> IncidentLink:
    """The link, re-read under a row lock, once the actor may change the deployment's incidents."""
    if not may_execute(ctx.actor, link.deployment):
        raise PermissionDenied(f"Only a deployment manager or an assigned practitioner {what} incidents.")
    locked = IncidentLink.objects.select_for_update().select_related("deployment").get(pk=link.pk)
    if locked.withdrawn_at is not None:
        raise ConflictError(
            f"Incident {locked.incident_ref} was withdrawn from {locked.deployment.reference} "
            f"({locked.withdrawn_reason}); it cannot change any more.",
            code="incident_withdrawn",
        )
    return locked


@atomic_audited
def incident_link_resolve(*, ctx: Context, link: IncidentLink, resolved_at=None) -> IncidentLink:
    """Mark an attributed incident resolved at `resolved_at` (now when not given): the time the service was
    restored, which the review analyses measure. Never before it was opened, never in the future, never twice."""
    locked = _locked_link(ctx, link, "resolves")
    now = timezone.now()
    resolved_at = resolved_at or now
    if locked.resolved_at is not None:
        raise ConflictError(
            f"Incident {locked.incident_ref} was already resolved at {locked.resolved_at:%Y-%m-%d %H:%M} UTC.",
            code="incident_resolved",
        )
    if resolved_at < locked.opened_at:
        raise ValidationError(
            {"resolved_at": f"An incident cannot be resolved before it was opened ({locked.opened_at:%Y-%m-%d %H:%M})."}
        )
    if resolved_at > now:
        raise ValidationError({"resolved_at": "The resolution time cannot be in the future."})
    locked.resolved_at, locked.resolved_by = (
        resolved_at,
        ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None,
    )
    with rollup_kept(locked.deployment):  # the time to restore counts the resolution
        locked.save(update_fields=["resolved_at", "resolved_by"])
    hours = round((resolved_at - locked.opened_at).total_seconds() / 3600, 2)
    event_record(
        deployment=locked.deployment,
        ctx=ctx,
        kind=EventKind.INCIDENT,
        comment=f"Incident {locked.incident_ref} resolved ({hours} h after it was opened).",
        data={"incident_id": locked.pk, "incident_ref": locked.incident_ref, "resolved_at": resolved_at.isoformat()},
    )
    return locked


@atomic_audited
def incident_link_withdraw(*, ctx: Context, link: IncidentLink, reason: str) -> IncidentLink:
    """Withdraw a link made by mistake, saying why: it stays on the record, and every count leaves it out."""
    reason = (reason or "").strip()
    locked = _locked_link(ctx, link, "withdraws")
    if not reason:
        raise ValidationError({"reason": f"Say why incident {locked.incident_ref} is withdrawn."})
    locked.withdrawn_at, locked.withdrawn_reason = timezone.now(), reason
    locked.withdrawn_by = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    with rollup_kept(locked.deployment):  # a withdrawn link leaves every count
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    event_record(
        deployment=locked.deployment,
        ctx=ctx,
        kind=EventKind.INCIDENT,
        comment=f"Incident {locked.incident_ref} withdrawn: {reason}",
        data={"incident_id": locked.pk, "incident_ref": locked.incident_ref, "withdrawn": True},
    )
    return locked


@atomic_audited
def problem_add(*, ctx: Context, deployment: Deployment, description: str, severity: str) -> DeploymentProblem:
    if not may_execute(ctx.actor, deployment):
        raise PermissionDenied("Only a deployment manager or an assigned practitioner records problems.")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": "Describe the problem."})
    if severity not in Severity.values:
        raise ValidationError({"severity": f"Choose one of {', '.join(Severity.values)}."})
    problem = DeploymentProblem.objects.create(
        deployment=deployment, description=description, severity=severity, created_by=ctx.actor
    )
    event_record(deployment=deployment, ctx=ctx, kind=EventKind.PROBLEM, comment=f"Problem ({severity}): {description}")
    return problem


@atomic_audited
def problem_resolve(*, ctx: Context, problem: DeploymentProblem) -> DeploymentProblem:
    if not may_execute(ctx.actor, problem.deployment):
        raise PermissionDenied("Only a deployment manager or an assigned practitioner resolves problems.")
    if not problem.resolved:
        problem.resolved, problem.resolved_at = True, timezone.now()
        problem.save(update_fields=["resolved", "resolved_at"])
        event_record(deployment=problem.deployment, ctx=ctx, kind=EventKind.PROBLEM, comment="Problem resolved.")
    return problem


def _rating(value) -> int:
    """A 1–5 rating from any input; 0 when it is not one (the caller reports the error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 1 <= number <= 5 else 0


@atomic_audited
def feedback_submit(
    *,
    ctx: Context,
    deployment: Deployment,
    rating_lead_time,
    rating_quality,
    rating_rate_of_change=None,
    comment: str = "",
) -> Feedback:
    """The requester and the service owners rate a completed deployment's lead time and quality, once each, and
    optionally their satisfaction with the rate of change (None: not answered, as older API clients send)."""
    if not may_rate(ctx.actor, deployment):
        raise PermissionDenied("Only the requester and the owners of the service rate a deployment.")
    if not may_rate_now(ctx.actor, deployment):
        raise ConflictError("Only completed deployments are rated.", code="invalid_state")
    errors = {}
    ratings = {}
    given = {"rating_lead_time": rating_lead_time, "rating_quality": rating_quality}
    if rating_rate_of_change not in (None, ""):
        given["rating_rate_of_change"] = rating_rate_of_change
    for field, value in given.items():
        ratings[field] = _rating(value)
        if not ratings[field]:
            errors[field] = "Rate from 1 (poor) to 5 (excellent)."
    if errors:
        raise ValidationError(errors)
    if Feedback.objects.filter(deployment=deployment, user=ctx.actor).exists():
        raise ConflictError("You have already rated this deployment.", code="already_rated")
    with rollup_kept(deployment):
        feedback = Feedback.objects.create(
            deployment=deployment, user=ctx.actor, comment=(comment or "").strip(), **ratings
        )
    rate = ratings.get("rating_rate_of_change")
    event_record(
        deployment=deployment,
        ctx=ctx,
        kind=EventKind.FEEDBACK,
        comment=f"Rated lead time {ratings['rating_lead_time']}/5, quality {ratings['rating_quality']}/5"
        + (f", rate of change {rate}/5." if rate else "."),
    )
    return feedback
