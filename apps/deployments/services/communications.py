"""E-mails the deployment process sends in the background, each one once: the message is queued in the mail outbox
(apps/core/mail_outbox.py) in the same transaction that records the communication on the timeline, so the record
and the message commit together or not at all; the outbox sends it (and keeps trying while the mail server is
down). The tasks in apps/deployments/tasks.py are thin wrappers over these."""

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from apps.accounts.notices import notice_users
from apps.core.mail_outbox import mail_queue
from apps.deployments import workflow
from apps.deployments.models import Channel, Deployment, DeploymentEvent, EventKind
from apps.deployments.notifications import deployment_url, queue_event_mail, queue_feedback_request
from apps.deployments.services.events import Context, event_record

SYSTEM = Context(actor=None, channel=Channel.SYSTEM)


def _already_sent(deployment_id: int, marker: str) -> bool:
    return DeploymentEvent.objects.filter(
        deployment_id=deployment_id, kind=EventKind.COMMUNICATION, data__marker=marker
    ).exists()


def _send_once(
    *,
    deployment: Deployment,
    marker: str,
    send: Callable[[str], list[str]],
    comment: Callable[[list[str]], str],
    data: dict | None = None,
) -> list[str]:
    """Send one e-mail at most once per `marker`: lock the deployment, skip what the timeline says was sent, queue
    the message (`send(marker)` queues it in the mail outbox and returns its recipients) and record the
    communication, in one transaction. Returns the recipients (none when skipped)."""
    with transaction.atomic():
        Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        if _already_sent(deployment.pk, marker):
            return []
        recipients = send(marker)
        if recipients:
            event_record(
                deployment=deployment,
                ctx=SYSTEM,
                kind=EventKind.COMMUNICATION,
                comment=comment(recipients),
                data={"marker": marker, "recipients": recipients, **(data or {})},
            )
    return recipients


def event_notify(*, event_id: int) -> list[str]:
    """E-mail the stakeholders about one event and record the communication. Run twice, it sends once."""
    event = DeploymentEvent.objects.select_related(
        "deployment__service", "deployment__stage", "deployment__requester", "actor"
    ).get(pk=event_id)
    return _send_once(
        deployment=event.deployment,
        marker=f"event:{event_id}",
        send=lambda key: queue_event_mail(event, key=key),
        comment=lambda recipients: f"E-mail sent to {', '.join(recipients)}.",
        data={"about_event": event_id},
    )


def feedback_request(*, deployment_id: int) -> list[str]:
    """Ask the requester and the service owners of a completed deployment to rate it, once."""
    deployment = Deployment.objects.select_related("requester", "service").get(pk=deployment_id)
    return _send_once(
        deployment=deployment,
        marker=f"feedback:{deployment_id}",
        send=lambda key: queue_feedback_request(deployment, key=key),
        comment=lambda recipients: f"Asked {', '.join(recipients)} to rate lead time and quality.",
    )


def _queue_reminder(deployment: Deployment, key: str) -> list[str]:
    people = notice_users(kind="deployment_reminder", users=deployment.practitioners.all())
    recipients = sorted({p.email for p in people})
    if recipients:
        starts = f"{deployment.planned_start:%Y-%m-%d %H:%M}"
        mail_queue(
            subject=f"[{deployment.reference}] Starts {starts} UTC: {deployment.title}",
            body=f"You are assigned to {deployment.reference} in {deployment.environment} for {deployment.service}, "
            f"planned {starts}–{deployment.planned_end:%H:%M} UTC.\n\n"
            f"{deployment_url(deployment)}\n",
            to=recipients,
            key=key,
        )
    return recipients


def reminders_send() -> int:
    """E-mail the practitioners of each approved deployment that starts within the next day, once per planned
    start (a re-planned deployment is reminded again). Returns how many reminders went out."""
    now = timezone.now()
    due = Deployment.objects.filter(
        status=workflow.Status.APPROVED, planned_start__gte=now, planned_start__lt=now + timedelta(days=1)
    ).select_related("environment", "service")
    sent = 0
    for deployment in due.iterator():
        recipients = _send_once(
            deployment=deployment,
            marker=f"reminder:{deployment.pk}:{deployment.planned_start:%Y%m%d%H%M}",
            send=lambda key, d=deployment: _queue_reminder(d, key),
            comment=lambda recipients: f"Reminder sent to {', '.join(recipients)}.",
        )
        sent += bool(recipients)
    return sent
