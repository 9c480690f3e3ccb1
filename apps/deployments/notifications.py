"""E-mails to a deployment's stakeholders: who they are and what they are told. The messages are queued in the
mail outbox (apps/core/mail_outbox.py) in the caller's transaction, and leave from there."""

from django.conf import settings

from apps.accounts.notices import notice_recipients, notice_users
from apps.core.mail_outbox import mail_queue
from apps.deployments.models import Deployment, DeploymentEvent
from apps.deployments.workflow import Status


def stakeholders(deployment: Deployment) -> list[str]:
    """Requester, service owners and assigned practitioners with an e-mail address, each once."""
    people = [deployment.requester, *deployment.service.owners.all(), *deployment.practitioners.all()]
    seen, emails = set(), []
    for person in people:
        if person.email and person.email not in seen and person.is_active:
            seen.add(person.email)
            emails.append(person.email)
    return emails


def deployment_url(deployment: Deployment) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/deployments/{deployment.pk}/"  # a stable address (DESIGN.md §5)


def event_message(event: DeploymentEvent) -> tuple[str, str]:
    d = event.deployment
    who = event.actor.get_full_name() or event.actor.username if event.actor else "Deploydesk"
    if event.from_status != event.to_status and event.to_status:
        # the status the event moved to, not the deployment's now: a message sent late still tells its own step
        subject = f"[{d.reference}] {Status(event.to_status).label}: {d.title}"
        before, after = event.from_status.replace("_", " "), event.to_status.replace("_", " ")
        what = f"{who} moved {d.reference} from {before} to {after}."
    else:
        subject = f"[{d.reference}] {event.get_kind_display()}: {d.title}"
        what = f"{who}: {event.get_kind_display().lower()} on {d.reference}."
    window = (
        f"{d.planned_start:%Y-%m-%d %H:%M}–{d.planned_end:%Y-%m-%d %H:%M} UTC"
        if d.planned_start and d.planned_end
        else "not planned"
    )
    body = (
        f"{what}\n\n{event.comment}\n\n"
        f"{d.get_action_display()} in {d.environment} for {d.service}\nWindow: {window}\n\n{deployment_url(d)}\n"
    )
    return subject, body


def event_recipients(event: DeploymentEvent) -> list[str]:
    """The stakeholders who want this event's e-mail. A deployment sent for approval is an approval needed from
    the service's owners where its stage asks for their sign-off: that notice is mandatory."""
    d = event.deployment
    owners = list(d.service.owners.all())
    asks_owners = (
        event.to_status == Status.PENDING_APPROVAL
        and event.from_status != event.to_status
        and d.stage_id is not None
        and d.stage.requires_service_owner_approval
    )
    signers = notice_users(kind="approval_needed", users=owners) if asks_owners else []
    others = [d.requester, *([] if asks_owners else owners), *d.practitioners.all()]
    users = signers + notice_users(kind="deployment_update", users=others)
    return notice_recipients(kind="approval_needed", emails=[u.email for u in users])  # each address once


def queue_event_mail(event: DeploymentEvent, *, key: str) -> list[str]:
    """Queue the event's e-mail to the stakeholders who want it, in the current transaction; returns them."""
    recipients = event_recipients(event)
    if recipients:
        subject, body = event_message(event)
        mail_queue(subject=subject, body=body, to=recipients, key=key)
    return recipients


def queue_feedback_request(deployment: Deployment, *, key: str) -> list[str]:
    """Queue the request to rate a completed deployment to its requester and service owners; returns them."""
    people = notice_users(kind="feedback_request", users=[deployment.requester, *deployment.service.owners.all()])
    recipients = sorted({p.email for p in people})
    if recipients:
        mail_queue(
            subject=f"[{deployment.reference}] How did it go? Rate the deployment",
            body=f"{deployment.reference} “{deployment.title}” is completed. Please rate its lead time and its quality "
            f"(1–5) on its page:\n\n{deployment_url(deployment)}#feedback\n",
            to=recipients,
            key=key,
        )
    return recipients


# --- what each group of a service's stakeholders is told (apps/deployments/services/notices.py sends it) ---------

NOTICE_WORDS = {
    "planned": ("Planned", "is planned and approved"),
    "started": ("Started", "has started"),
    "finished": ("Finished", "has finished"),
}


def _window(d: Deployment) -> str:
    if d.planned_start and d.planned_end:
        return f"{d.planned_start:%Y-%m-%d %H:%M}–{d.planned_end:%Y-%m-%d %H:%M} UTC"
    return "not planned"


def group_notice_message(d: Deployment, notice: str, status: str = "") -> tuple[str, str]:
    """The notice the service desk, consumers, suppliers' contacts and product owners get about one step; a
    finished notice names the outcome `status` its event moved to (not the deployment's now: a failure's notice sent
    after the roll-back still says it failed)."""
    title, verb = NOTICE_WORDS[notice]
    if notice == "finished":
        label = Status(status).label if status else d.get_status_display()
        title, verb = label, f"is {label.lower()}"
    subject = f"[{d.reference}] {title}: {d.title} ({d.service} in {d.environment})"
    body = (
        f"The {d.get_action_display().lower()} {d.reference} “{d.title}” of {d.service} in {d.environment} {verb}.\n\n"
        f"Window: {_window(d)}\n"
        + (f"Outcome: {d.outcome}\n" if notice == "finished" and d.outcome else "")
        + f"\n{deployment_url(d)}\n"
    )
    return subject, body


def handover_message(d: Deployment) -> tuple[str, str]:
    links = "".join(f"- {url}\n" for url in d.knowledge_links)
    subject = f"[{d.reference}] Handover to the service desk: {d.title}"
    body = (
        f"{d.reference} “{d.title}” of {d.service} is completed in {d.environment}. Its handover note:\n\n"
        f"{d.handover_note or '(none written)'}\n\n"
        + (f"Knowledge articles:\n{links}\n" if links else "")
        + f"{deployment_url(d)}\n"
    )
    return subject, body


def alignment_request_message(d: Deployment, link: str) -> tuple[str, str]:
    subject = f"[{d.reference}] How well did this deployment suit you? (one question)"
    body = (
        f"{d.reference} “{d.title}” of {d.service} is completed in {d.environment}.\n\n"
        "How well was the way it was deployed aligned with your needs? Please rate it from 1 (not at all) to 5 "
        "(fully), with an optional comment. No sign-in is needed; the link works once.\n\n"
        f"{link}\n"
    )
    return subject, body


def notice_for(from_status: str, to_status: str) -> str | None:
    """Which group notice a status change makes: planned (approved), started, finished (a final outcome)."""
    if from_status == to_status:
        return None
    if to_status == Status.APPROVED:
        return "planned"
    if from_status == Status.APPROVED and to_status == Status.VERIFYING_COMPONENTS:
        return "started"
    if to_status in (Status.COMPLETED, Status.FAILED, Status.ROLLED_BACK):
        return "finished"
    return None
