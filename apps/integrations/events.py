"""The events a subscription may want, and for each: what it is about, whom it concerns, and what is sent.

A subscription hears of an event only when its owner may see the subject (the apps' own selectors, with the owner
as the user) and when its service and environment filters match. A filter narrows the events that have that
dimension (deployments: both; freezes: environment); events without it (reviews) pass it."""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.core.outbound import Announcement
from apps.core.permissions import is_signed_in, user_can
from apps.deployments import workflow
from apps.deployments.models import DeploymentEvent
from apps.deployments.selectors.visibility import deployment_list
from apps.environments.models import FreezeWindow
from apps.environments.selectors import freeze_window_list
from apps.integrations.formats import Message
from apps.reviews.models import ModelReview
from apps.reviews.selectors import review_list

APPROVAL_NEEDED = "approval.needed"
FREEZE_STARTING = "freeze.starting"
REVIEW_DUE = "review.due"
AUDIT_FINDING = "audit_finding.raised"
DEPLOYMENT_RELEASED = "deployment.released"  # beside the transitions: a completed deployment made available to users
FINDING_FACTS = ("severity", "owner", "due_date")

EVENT_CHOICES: list[tuple[str, str]] = [
    *[(f"deployment.{t.name}", f"Deployment: {t.label.lower()}") for t in workflow.TRANSITIONS.values()],
    (DEPLOYMENT_RELEASED, "Deployment: released to users"),
    (APPROVAL_NEEDED, "Approval needed"),
    (FREEZE_STARTING, "Freeze starting"),
    (REVIEW_DUE, "Review due"),
    (AUDIT_FINDING, "Audit finding raised"),
]
EVENT_NAMES = {name for name, _ in EVENT_CHOICES}


def site(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Subject:
    """An event's subject, loaded once for every subscription: the payload, the chat message and the filters."""

    payload: dict
    message: Message
    service_id: int | None = None
    environment_id: int | None = None
    environment_scoped: bool = False  # a freeze of every environment matches every environment filter
    visible_to: Callable | None = None  # user → bool


def _deployment_subject(a: Announcement) -> Subject | None:
    event = (
        DeploymentEvent.objects.select_related("deployment__environment", "deployment__service", "actor")
        .filter(pk=a.object_id)
        .first()
    )
    if event is None:
        return None
    d = event.deployment
    url = site(f"/deployments/{d.pk}/")
    actor = (event.actor.get_full_name() or event.actor.username) if event.actor else "Deploydesk"
    payload = {
        "event": a.event,
        "occurred_at": _iso(event.at),
        "deployment": {
            "id": d.pk,
            "reference": d.reference,
            "title": d.title,
            "status": d.status,
            "environment": {"id": d.environment_id, "slug": d.environment.slug, "name": d.environment.name},
            "service": {"id": d.service_id, "name": d.service.name},
            "planned_start": _iso(d.planned_start),
            "planned_end": _iso(d.planned_end),
            "url": url,
        },
        "transition": {
            "name": (event.data or {}).get("transition", ""),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": actor,
            "channel": event.channel,
            "comment": event.comment,
        },
    }
    facts = [("Environment", d.environment.name), ("Service", d.service.name), ("Status", d.get_status_display())]
    if a.event == DEPLOYMENT_RELEASED:
        release_ref = (event.data or {}).get("release_ref", "")
        payload["release"] = {"release_ref": release_ref, "released_at": _iso(event.at), "released_by": actor}
        message = Message(
            title=f"{d.reference} released: {d.title}",
            text=f"{actor} released {d.reference} to its users ({release_ref})."
            + (f"\n> {event.comment}" if event.comment else ""),
            url=url,
            facts=[*facts, ("Release", release_ref)],
        )
    elif a.event == APPROVAL_NEEDED:
        approval_url = f"{url}#approvals-title"
        payload["approval_url"] = approval_url
        message = Message(
            title=f"Approval needed: {d.reference} {d.title}",
            text=f"{d.reference} waits for approval in {d.environment.name} (last step by {actor}). "
            "Approve or reject it on its page in Deploydesk.",
            url=url,
            facts=facts,
            button=("Review and approve in Deploydesk", approval_url),
        )
    else:
        before, after = event.from_status.replace("_", " "), event.to_status.replace("_", " ")
        moved = f"from {before} to {after}" if before != after else f"({after})"
        message = Message(
            title=f"{d.reference} {d.get_status_display().lower()}: {d.title}",
            text=f"{actor} moved {d.reference} {moved}." + (f"\n> {event.comment}" if event.comment else ""),
            url=url,
            facts=facts,
        )
    return Subject(
        payload=payload,
        message=message,
        service_id=d.service_id,
        environment_id=d.environment_id,
        visible_to=lambda user: deployment_list(user=user).filter(pk=d.pk).exists(),
    )


def _freeze_subject(a: Announcement) -> Subject | None:
    window = FreezeWindow.objects.select_related("environment").filter(pk=a.object_id).first()
    if window is None:
        return None
    scope = window.environment.name if window.environment_id else "every environment"
    start, end = a.data.get("start"), a.data.get("end")
    url = site("/freeze-windows/")
    payload = {
        "event": a.event,
        "occurred_at": _iso(timezone.now()),
        "freeze_window": {
            "id": window.pk,
            "name": window.name,
            "reason": window.reason,
            "environment": window.environment_id,
            "start": start,
            "end": end,
            "url": url,
        },
    }
    message = Message(
        title=f"Freeze starting: {window.name}",
        text=f"No deployments into {scope} from {start} to {end} (UTC) without an emergency override.\n{window.reason}",
        url=url,
        facts=[("Environments", scope), ("Starts", str(start)), ("Ends", str(end))],
    )
    return Subject(
        payload=payload,
        message=message,
        environment_id=window.environment_id,
        environment_scoped=True,
        visible_to=lambda user: freeze_window_list(user=user).filter(pk=window.pk).exists(),
    )


def _review_subject(a: Announcement) -> Subject | None:
    review = ModelReview.objects.select_related("model", "facilitator").filter(pk=a.object_id).first()
    if review is None:
        return None
    url = site(f"/reviews/{review.pk}/")
    payload = {
        "event": a.event,
        "occurred_at": _iso(timezone.now()),
        "review": {
            "id": review.pk,
            "model": str(review.model),
            "kind": review.kind,
            "status": review.status,
            "due_date": _iso(review.due_date),
            "facilitator": review.facilitator.username if review.facilitator else None,
            "url": url,
        },
    }
    message = Message(
        title=f"Review due: {review.model}",
        text=f"The {review.get_kind_display().lower()} review of {review.model} was due {review.due_date:%Y-%m-%d}.",
        url=url,
        facts=[("Status", review.get_status_display()), ("Due", f"{review.due_date:%Y-%m-%d}")],
    )
    return Subject(
        payload=payload, message=message, visible_to=lambda user: review_list(user=user).filter(pk=review.pk).exists()
    )


def _finding_subject(a: Announcement) -> Subject | None:
    """An audit finding, announced with its fields in `data` (`publish_on_commit("audit_finding.raised", …)`); only
    auditors and managers (audit.view_audit) hear of it, and of a deployment's finding only if they see it."""
    data = dict(a.data)
    url = site(data.get("url") or "/audit/")
    deployment_id = data.get("subject_id") if data.get("subject_type") == "deployment" else None

    def visible(user) -> bool:
        if not user_can(user, "audit.view_audit"):
            return False
        return deployment_id is None or deployment_list(user=user).filter(pk=deployment_id).exists()

    payload = {"event": a.event, "occurred_at": _iso(timezone.now()), "audit_finding": {"id": a.object_id, **data}}
    message = Message(
        title=f"Audit finding ({data.get('severity', 'unrated')}): {data.get('title', a.object_id)}",
        text=str(data.get("description", "")),
        url=url,
        facts=[(k.replace("_", " ").capitalize(), str(data[k])) for k in FINDING_FACTS if k in data],
    )
    return Subject(payload=payload, message=message, visible_to=visible)


LOADERS: dict[str, Callable[[Announcement], Subject | None]] = {
    APPROVAL_NEEDED: _deployment_subject,
    FREEZE_STARTING: _freeze_subject,
    REVIEW_DUE: _review_subject,
    AUDIT_FINDING: _finding_subject,
}


def subject_load(announcement: Announcement) -> Subject | None:
    """The subject of an announced event; None when it is gone or the event is unknown."""
    if announcement.event.startswith("deployment."):
        return _deployment_subject(announcement) if announcement.event in EVENT_NAMES else None
    loader = LOADERS.get(announcement.event)
    return loader(announcement) if loader else None


def subject_matches(subscription, subject: Subject) -> bool:
    """The filters match and the owner may see the subject (an inactive owner sees nothing)."""
    if subscription.service_id and subject.service_id is not None and subject.service_id != subscription.service_id:
        return False
    if subscription.environment_id:
        if subject.environment_scoped and subject.environment_id is None:
            pass  # a freeze of every environment concerns every environment
        elif subject.environment_id is not None and subject.environment_id != subscription.environment_id:
            return False
    owner = subscription.owner
    return is_signed_in(owner) and (subject.visible_to is None or bool(subject.visible_to(owner)))
