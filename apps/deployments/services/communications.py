"""E-mails the deployment process sends in the background: each one sent once, recorded on the timeline, and tried
again later while the mail server is down. The tasks in apps/deployments/tasks.py are thin wrappers over these."""

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import schedule

from apps.accounts.notices import notice_users
from apps.deployments import workflow
from apps.deployments.models import Channel, Deployment, DeploymentEvent, EventKind
from apps.deployments.notifications import deployment_url, send_event_mail, send_feedback_request
from apps.deployments.services.events import Context, event_record

logger = logging.getLogger(__name__)

MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAX_MAIL_ATTEMPTS = 8
SYSTEM = Context(actor=None, channel=Channel.SYSTEM)


def retry_later(func: str, arg: int, attempt: int) -> bool:
    """The mail server is down: try again later (1, 2, 4 … 60 minutes), as a one-off django-q2 schedule of the
    task `func` (a dotted name)."""
    if attempt >= MAX_MAIL_ATTEMPTS:
        logger.error("Giving up %s(%s) after %s attempts: the mail server stays unreachable.", func, arg, attempt)
        return False
    minutes = min(2 ** (attempt - 1), 60)
    schedule(
        func,
        arg,
        attempt + 1,
        name=f"retry {func.rsplit('.', 1)[-1]} {arg} #{attempt + 1}",
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() + timedelta(minutes=minutes),
        repeats=1,
    )
    logger.warning("Mail server unreachable for %s(%s); retry %s in %s min.", func, arg, attempt + 1, minutes)
    return True


def _already_sent(deployment_id: int, marker: str) -> bool:
    return DeploymentEvent.objects.filter(
        deployment_id=deployment_id, kind=EventKind.COMMUNICATION, data__marker=marker
    ).exists()


def _send_once(
    *,
    deployment: Deployment,
    marker: str,
    send: Callable[[], list[str]],
    comment: Callable[[list[str]], str],
    data: dict | None = None,
    retry: tuple[str, int, int] | None = None,
) -> list[str]:
    """Send one e-mail at most once per `marker`: lock the deployment, skip what the timeline says was sent, send,
    and record the communication. With `retry` (task, argument, attempt) a mail server that is down is tried again
    later; without it the error propagates. Returns the recipients (none when skipped)."""
    with transaction.atomic():
        Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
        if _already_sent(deployment.pk, marker):
            return []
        try:
            recipients = send()
        except MAIL_ERRORS:
            if retry is None:
                raise
            retry_later(*retry)
            return []
        if recipients:
            event_record(
                deployment=deployment,
                ctx=SYSTEM,
                kind=EventKind.COMMUNICATION,
                comment=comment(recipients),
                data={"marker": marker, "recipients": recipients, **(data or {})},
            )
    return recipients


def event_notify(*, event_id: int, attempt: int = 1) -> list[str]:
    """E-mail the stakeholders about one event and record the communication. Run twice, it sends once; if the
    mail server is down, it is tried again later (the transition that caused it has long been committed)."""
    event = DeploymentEvent.objects.select_related(
        "deployment__service", "deployment__stage", "deployment__requester", "actor"
    ).get(pk=event_id)
    return _send_once(
        deployment=event.deployment,
        marker=f"event:{event_id}",
        send=lambda: send_event_mail(event),
        comment=lambda recipients: f"E-mail sent to {', '.join(recipients)}.",
        data={"about_event": event_id},
        retry=("apps.deployments.tasks.notify_event", event_id, attempt),
    )


def feedback_request(*, deployment_id: int, attempt: int = 1) -> list[str]:
    """Ask the requester and the service owners of a completed deployment to rate it, once."""
    deployment = Deployment.objects.select_related("requester", "service").get(pk=deployment_id)
    return _send_once(
        deployment=deployment,
        marker=f"feedback:{deployment_id}",
        send=lambda: send_feedback_request(deployment),
        comment=lambda recipients: f"Asked {', '.join(recipients)} to rate lead time and quality.",
        retry=("apps.deployments.tasks.request_feedback", deployment_id, attempt),
    )


def _send_reminder(deployment: Deployment) -> list[str]:
    people = notice_users(kind="deployment_reminder", users=deployment.practitioners.all())
    recipients = sorted({p.email for p in people})
    if recipients:
        send_mail(
            f"[{deployment.reference}] Starts {deployment.planned_start:%Y-%m-%d %H:%M} UTC: {deployment.title}",
            f"You are assigned to {deployment.reference} in {deployment.environment} for {deployment.service}, "
            f"planned {deployment.planned_start:%Y-%m-%d %H:%M}–{deployment.planned_end:%H:%M} UTC.\n\n"
            f"{deployment_url(deployment)}\n",
            settings.DEFAULT_FROM_EMAIL,
            recipients,
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
            send=lambda d=deployment: _send_reminder(d),
            comment=lambda recipients: f"Reminder sent to {', '.join(recipients)}.",
        )
        sent += bool(recipients)
    return sent
