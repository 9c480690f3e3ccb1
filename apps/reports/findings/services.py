"""Every write to the audit findings register: raising a finding and changing its status, each audited.

Rules kept here (issue 15, DESIGN.md §1 and §5):
- Auditors and deployment managers raise findings on a deployment, a deployment model or a model review they can
  see; the owner must be an active user who can see the subject too, and not an auditor. Auditors change nothing
  else (not even a finding they would own).
- A status change follows workflow.MOVES, needs a reason, writes a FindingEvent and an audit-chain entry in the same
  transaction; raising one writes both too, and announces "audit_finding.raised" after commit.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.audit.chain import atomic_audited, audit_append
from apps.audit.context import AuditContext
from apps.core.exceptions import ConflictError
from apps.core.outbound import publish_on_commit
from apps.core.permissions import user_can
from apps.deployment_models.models import DeploymentModel
from apps.deployments.selectors.visibility import deployment_list
from apps.reports.findings.workflow import ADD, MOVES, may_change_status, may_move, may_own
from apps.reports.models import (
    SUBJECT_FIELDS,
    AuditFinding,
    FindingEvent,
    FindingStatus,
    Severity,
    SubjectType,
)
from apps.reviews.models import ModelReview

RAISED_EVENT = "audit_finding.raised"
MAX_REASON = 5000


def subject_visible(*, user, subject_type: str, subject_id) -> object | None:
    """The subject row when `user` may see it, else None (a missing row and a hidden one look the same)."""
    try:
        pk = int(subject_id)
    except (TypeError, ValueError):
        return None
    if pk < 1 or pk > 2**63 - 1:
        return None
    if subject_type == SubjectType.DEPLOYMENT:
        return deployment_list(user=user, join=False).filter(pk=pk).first()
    if subject_type == SubjectType.MODEL and user_can(user, "deployment_models.view_deploymentmodel"):
        return DeploymentModel.objects.filter(pk=pk).first()
    if subject_type == SubjectType.REVIEW and user_can(user, "reviews.view_modelreview"):
        return ModelReview.objects.select_related("model").filter(pk=pk).first()
    return None


def _subject_service_id(finding: AuditFinding) -> int | None:
    return finding.deployment.service_id if finding.deployment_id else None


def _record(*, finding: AuditFinding, ctx: AuditContext, from_status: str, reason: str, action: str, changes: dict):
    actor = ctx.actor if getattr(ctx.actor, "is_authenticated", False) else None
    event = FindingEvent.objects.create(
        finding=finding,
        at=timezone.now(),
        actor=actor,
        channel=ctx.channel,
        from_status=from_status,
        to_status=finding.status,
        reason=reason,
    )
    audit_append(
        actor=actor,
        channel=ctx.channel,
        action=action,
        object_type="reports.auditfinding",
        object_id=finding.pk,
        object_repr=str(finding),
        changes={**changes, "reason": reason, **({"token": ctx.token_name} if ctx.token_name else {})},
        service_id=_subject_service_id(finding),
        at=event.at,
    )
    return event


def _announce_raised(finding: AuditFinding) -> None:
    """The one place the "audit finding raised" event is announced (to outbound webhooks), after commit."""
    publish_on_commit(
        RAISED_EVENT,
        object_id=finding.pk,
        data={
            "subject_type": finding.subject_type,
            "subject_id": finding.subject_id,
            "severity": finding.severity,
            "title": finding.title,
            "description": finding.description,
            "owner": finding.owner.get_username(),
            "due_date": finding.due_date.isoformat(),
            "raised_by": finding.raised_by.get_username(),
            "url": reverse("reports:finding_detail", args=[finding.pk]),
        },
    )


@atomic_audited
def finding_create(
    *,
    ctx: AuditContext,
    subject_type: str,
    subject_id,
    severity: str,
    title: str,
    description: str,
    owner,
    due_date: dt.date,
) -> AuditFinding:
    """Raise a finding on a deployment, model or review; it starts `open`, with a "raised" event and audit entry."""
    actor = ctx.actor
    if not user_can(actor, ADD):
        raise PermissionDenied("Only auditors and deployment managers may raise audit findings.")
    errors = {}
    if subject_type not in SubjectType.values:
        errors["subject_type"] = "Choose what the finding is about: deployment, model or review."
        subject = None
    else:
        subject = subject_visible(user=actor, subject_type=subject_type, subject_id=subject_id)
        if subject is None:
            errors["subject_id"] = (
                f"No {SubjectType(subject_type).label.lower()} with id {subject_id} that you can see."
            )
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity: low, medium, high or critical."
    if not (title or "").strip():
        errors["title"] = "Give the finding a title."
    if not (description or "").strip():
        errors["description"] = "Describe what was found."
    if not isinstance(due_date, dt.date):
        errors["due_date"] = "Give the date by which it should be remedied."
    if not isinstance(owner, get_user_model()) or not owner.is_active:
        errors["owner"] = "Choose an active user to own the finding."
    elif not may_own(owner):
        errors["owner"] = (
            f"{owner} is an auditor: auditors raise findings and change nothing, so they cannot own one. Choose who "
            "is to remedy it."
        )
    elif subject is not None and subject_visible(user=owner, subject_type=subject_type, subject_id=subject.pk) is None:
        errors["owner"] = f"{owner} cannot see {subject}: the owner must be able to read what the finding is about."
    if errors:
        raise ValidationError(errors)
    finding = AuditFinding(
        subject_type=subject_type,
        severity=severity,
        title=title.strip(),
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        status=FindingStatus.OPEN,
        raised_by=actor,
        raised_at=timezone.now(),
        **{SUBJECT_FIELDS[SubjectType(subject_type)]: subject},
    )
    finding.full_clean()
    finding.save()
    _record(
        finding=finding,
        ctx=ctx,
        from_status="",
        reason="Raised.",
        action="created",
        changes={
            "subject": [finding.subject_type, finding.subject_id],
            "severity": finding.severity,
            "title": finding.title,
            "owner": owner.get_username(),
            "due_date": finding.due_date.isoformat(),
            "status": finding.status,
        },
    )
    _announce_raised(finding)
    return finding


@atomic_audited
def finding_change_status(*, ctx: AuditContext, finding: AuditFinding, status: str, reason: str) -> AuditFinding:
    """Move a finding to `status` with a reason: managers make every move of workflow.MOVES, the owner accepts and
    remediates. Refusals: 403 (who), 400 (no reason, unknown status), 409 (not from the current status)."""
    finding = (
        AuditFinding.objects.select_for_update(of=("self",)).select_related("owner", "deployment").get(pk=finding.pk)
    )
    actor = ctx.actor
    if not may_change_status(actor, finding):
        raise PermissionDenied("Only deployment managers and the finding's owner may change its status.")
    move = MOVES.get(status)
    if move is None:
        raise ValidationError({"status": "Choose a status: open, accepted, remediated or closed."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the status changes: the reason is kept in the finding's history."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON} characters."})
    if finding.status not in move.sources:
        raise ConflictError(
            f"{finding.reference} is {finding.get_status_display().lower()}: it cannot become "
            f"{FindingStatus(status).label.lower()} from there.",
            code="invalid_state",
        )
    if not may_move(actor, finding, move):
        raise PermissionDenied(
            f"Only a deployment manager may mark a finding {FindingStatus(status).label.lower()}; its owner accepts "
            "and remediates it."
        )
    previous = finding.status
    finding.status = status
    finding.save(update_fields=["status", "updated_at"])
    _record(
        finding=finding,
        ctx=ctx,
        from_status=previous,
        reason=reason,
        action="status",
        changes={"status": [previous, status]},
    )
    return finding
