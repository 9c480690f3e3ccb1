"""Background work of the deployment process (django-q2): notifications. Tasks take ids and do nothing twice."""

import logging
import smtplib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from apps.deployments.models import Deployment, DeploymentEvent, EventKind
from apps.deployments.services.events import Context, event_record

logger = logging.getLogger(__name__)


MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAX_MAIL_ATTEMPTS = 8


def enqueue_notification(event_id: int) -> None:
    async_task("apps.deployments.tasks.notify_event", event_id, task_name=f"notify-event-{event_id}")


def retry_later(func: str, arg: int, attempt: int) -> bool:
    """The mail server is down: try again later (1, 2, 4 … 60 minutes), as a one-off django-q2 schedule."""
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


def enqueue_feedback_request(deployment_id: int) -> None:
    async_task("apps.deployments.tasks.request_feedback", deployment_id, task_name=f"feedback-{deployment_id}")


def _already_sent(deployment_id: int, marker: str) -> bool:
    return DeploymentEvent.objects.filter(
        deployment_id=deployment_id, kind=EventKind.COMMUNICATION, data__marker=marker
    ).exists()


def notify_event(event_id: int, attempt: int = 1) -> list[str]:
    """E-mail the stakeholders about one event and record the communication. Run twice, it sends once; if the
    mail server is down, it is tried again later (the transition that caused it has long been committed)."""
    from apps.deployments.notifications import send_event_mail

    event = DeploymentEvent.objects.select_related("deployment__service", "deployment__requester", "actor").get(
        pk=event_id
    )
    marker = f"event:{event_id}"
    with transaction.atomic():
        Deployment.objects.select_for_update().filter(pk=event.deployment_id).first()
        if _already_sent(event.deployment_id, marker):
            return []
        try:
            recipients = send_event_mail(event)
        except MAIL_ERRORS:
            retry_later("apps.deployments.tasks.notify_event", event_id, attempt)
            return []
        if recipients:
            event_record(
                deployment=event.deployment,
                ctx=Context(actor=None, channel="system"),
                kind=EventKind.COMMUNICATION,
                comment=f"E-mail sent to {', '.join(recipients)}.",
                data={"marker": marker, "recipients": recipients, "about_event": event_id},
            )
    return recipients


def request_feedback(deployment_id: int, attempt: int = 1) -> list[str]:
    from apps.deployments.notifications import send_feedback_request

    marker = f"feedback:{deployment_id}"
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().select_related("requester", "service").get(pk=deployment_id)
        if _already_sent(deployment_id, marker):
            return []
        try:
            recipients = send_feedback_request(deployment)
        except MAIL_ERRORS:
            retry_later("apps.deployments.tasks.request_feedback", deployment_id, attempt)
            return []
        if recipients:
            event_record(
                deployment=deployment,
                ctx=Context(actor=None, channel="system"),
                kind=EventKind.COMMUNICATION,
                comment=f"Asked {', '.join(recipients)} to rate lead time and quality.",
                data={"marker": marker, "recipients": recipients},
            )
    return recipients


def remind_upcoming_deployments() -> int:
    """Hourly: e-mail the practitioners of each approved deployment that starts within the next day, once."""
    from django.conf import settings
    from django.core.mail import send_mail

    from apps.deployments.notifications import deployment_url
    from apps.deployments.workflow import Status

    now = timezone.now()
    due = Deployment.objects.filter(
        status=Status.APPROVED, planned_start__gte=now, planned_start__lt=now + timedelta(days=1)
    ).select_related("environment", "service")
    sent = 0
    for deployment in due.iterator():
        marker = f"reminder:{deployment.pk}:{deployment.planned_start:%Y%m%d%H%M}"
        with transaction.atomic():
            Deployment.objects.select_for_update().filter(pk=deployment.pk).first()
            if _already_sent(deployment.pk, marker):
                continue
            recipients = sorted({p.email for p in deployment.practitioners.all() if p.email and p.is_active})
            if not recipients:
                continue
            send_mail(
                f"[{deployment.reference}] Starts {deployment.planned_start:%Y-%m-%d %H:%M} UTC: {deployment.title}",
                f"You are assigned to {deployment.reference} in {deployment.environment} for {deployment.service}, "
                f"planned {deployment.planned_start:%Y-%m-%d %H:%M}–{deployment.planned_end:%H:%M} UTC.\n\n"
                f"{deployment_url(deployment)}\n",
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
            event_record(
                deployment=deployment,
                ctx=Context(actor=None, channel="system"),
                kind=EventKind.COMMUNICATION,
                comment=f"Reminder sent to {', '.join(recipients)}.",
                data={"marker": marker, "recipients": recipients},
            )
            sent += 1
    return sent
