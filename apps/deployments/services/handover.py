"""The handover to the service desk: the note and the knowledge articles it links, written while the plan may still
change, during verification or at completion; required before a production deployment completes."""

from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.chain import atomic_audited
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import MAX_KNOWLEDGE_LINKS, Deployment, validate_http_urls
from apps.deployments.permissions import may_edit, may_execute
from apps.deployments.services.events import Context, event_record_edit
from apps.environments.models import EnvironmentKind

MAX_NOTE = 20000
# the note may be written while the plan may change (through the edit form too) and once the work is done
HANDOVER_STATUSES = (*workflow.PLANNING, workflow.Status.VERIFYING)


def knowledge_links_clean(value) -> list[str]:
    """A list of http(s) addresses from a list or from text (one a line), stripped, each once."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({"knowledge_links": "Give a list of http(s) addresses."})
    links = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(links) > MAX_KNOWLEDGE_LINKS:
        raise ValidationError({"knowledge_links": f"At most {MAX_KNOWLEDGE_LINKS} links."})
    try:
        validate_http_urls(links)
    except ValidationError as exc:
        raise ValidationError({"knowledge_links": exc.messages}) from exc
    return links


def handover_note_clean(value) -> str:
    if not isinstance(value, str):
        raise ValidationError({"handover_note": "Give the handover note as text."})
    if len(value) > MAX_NOTE:
        raise ValidationError({"handover_note": f"At most {MAX_NOTE:,} characters."})
    return value.strip()


def handover_required(deployment: Deployment) -> bool:
    """A production deployment is handed over to the service desk with a note."""
    return deployment.environment.kind == EnvironmentKind.PRODUCTION


def handover_gap(deployment: Deployment) -> str:
    """Why the deployment cannot complete for want of a handover note ('' when it can)."""
    if handover_required(deployment) and not deployment.handover_note.strip():
        return (
            f"{deployment.reference} deploys to production: write the handover note for the service desk "
            "before completing it."
        )
    return ""


def may_write_handover(user, deployment: Deployment) -> bool:
    """Who may write the note now: whoever may edit the plan, or, during verification, the assigned practitioners
    and the managers."""
    if deployment.status == workflow.Status.VERIFYING:
        return may_execute(user, deployment)
    return may_edit(user, deployment)


def handover_apply(deployment: Deployment, *, handover_note=None, knowledge_links=None) -> list[str]:
    """Set the given parts on the (locked) deployment; returns the fields that changed (nothing saved)."""
    changed = []
    if handover_note is not None:
        note = handover_note_clean(handover_note)
        if note != deployment.handover_note:
            deployment.handover_note = note
            changed.append("handover_note")
    if knowledge_links is not None:
        links = knowledge_links_clean(knowledge_links)
        if links != deployment.knowledge_links:
            deployment.knowledge_links = links
            changed.append("knowledge_links")
    return changed


@atomic_audited
def deployment_handover_set(
    *,
    ctx: Context,
    deployment: Deployment,
    handover_note: str | None = None,
    knowledge_links: list | str | None = None,
    expected_version: int | None = None,
) -> Deployment:
    """Write the handover note and its knowledge links (None leaves a part as it is): while the plan may change
    (who may edit it), or during verification (the assigned practitioners and the managers). Audited as an edit."""
    locked = Deployment.objects.select_for_update(of=("self",)).select_related("environment").get(pk=deployment.pk)
    if locked.status not in HANDOVER_STATUSES:
        if may_execute(ctx.actor, locked) or may_edit(ctx.actor, locked):
            raise ConflictError(
                f"{locked.reference} is {locked.get_status_display().lower()}: the handover note is written while "
                "it is planned, during verification or when completing it.",
                code="not_editable",
            )
        raise PermissionDenied("You may not write the handover note of this deployment.")
    if not may_write_handover(ctx.actor, locked):
        raise PermissionDenied("Only the assigned practitioners and the deployment managers write the handover note.")
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(
            f"{locked.reference} was changed by someone else (version {expected_version}, now {locked.version}). "
            "Reload it and try again.",
            code="stale_version",
        )
    changed = handover_apply(locked, handover_note=handover_note, knowledge_links=knowledge_links)
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    event_record_edit(
        deployment=locked,
        ctx=ctx,
        fields=changed,
        comment="Handover note written." if "handover_note" in changed else "Knowledge links changed.",
    )
    return locked
