"""E-mails to a deployment's stakeholders: who they are and what they are told."""

from django.conf import settings
from django.core.mail import send_mail

from apps.deployments.models import Deployment, DeploymentEvent


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
        subject = f"[{d.reference}] {d.get_status_display()}: {d.title}"
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


def send_event_mail(event: DeploymentEvent) -> list[str]:
    recipients = stakeholders(event.deployment)
    if recipients:
        subject, body = event_message(event)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
    return recipients


def send_feedback_request(deployment: Deployment) -> list[str]:
    people = [deployment.requester, *deployment.service.owners.all()]
    recipients = sorted({p.email for p in people if p.email and p.is_active})
    if recipients:
        send_mail(
            f"[{deployment.reference}] How did it go? Rate the deployment",
            f"{deployment.reference} “{deployment.title}” is completed. Please rate its lead time and its quality "
            f"(1–5) on its page:\n\n{deployment_url(deployment)}#feedback\n",
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    return recipients
