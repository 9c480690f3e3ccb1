"""Background work of webhooks (django-q2): fan an event out into deliveries, send each with retries and
exponential back-off, and announce the freezes about to start. Tasks take ids and do nothing twice."""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import schedule

from apps.core.outbound import Announcement
from apps.environments.models import FreezeWindow
from apps.environments.windows import window_occurrences
from apps.integrations import services
from apps.integrations.events import FREEZE_STARTING

logger = logging.getLogger(__name__)


def announce(announcement: Announcement) -> None:
    """The outbound listener (registered at start; heard in the worker, from the outbox): the deliveries of the
    announcement, each sent by its own `deliver` task."""
    services.deliveries_fan_out(announcement=announcement)


def fan_out(event: str, object_id: int, key: str = "", data: dict | None = None) -> list[int]:
    """Create the deliveries of one event; each is sent by its own `deliver` task after commit."""
    announcement = Announcement(event=event, object_id=object_id, key=key, data=data or {})
    return [d.pk for d in services.deliveries_fan_out(announcement=announcement)]


def backoff_seconds(attempt: int) -> int:
    """Wait before attempt `attempt + 1`: base, 2×base, 4×base … capped."""
    return min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_MAX_SECONDS)


def deliver(delivery_id: int, attempt: int = 1) -> str:
    """Attempt a delivery; after a failure, schedule the next attempt (a one-off django-q2 schedule)."""
    outcome = services.delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if outcome is None:
        return "skipped"
    if outcome.retry:
        wait = backoff_seconds(attempt)
        schedule(
            "apps.integrations.tasks.deliver",
            delivery_id,
            attempt + 1,
            name=f"webhook delivery {delivery_id} #{attempt + 1}",
            schedule_type=Schedule.ONCE,
            next_run=timezone.now() + timedelta(seconds=wait),
            repeats=1,
        )
        logger.warning("Webhook delivery %s failed (attempt %s); retry in %s s.", delivery_id, attempt, wait)
    return outcome.delivery.state


def freezes_starting() -> int:
    """Hourly: announce every freeze occurrence that starts within WEBHOOK_FREEZE_NOTICE_HOURS, once each."""

    now = timezone.now()
    horizon = now + timedelta(hours=settings.WEBHOOK_FREEZE_NOTICE_HOURS)
    announced = 0
    windows = FreezeWindow.objects.filter(start__lt=horizon).exclude(end__lte=now).select_related("environment")
    for window in windows.iterator():
        for start, end in window_occurrences(window, now, horizon):
            if not now <= start < horizon:
                continue
            services.deliveries_fan_out(
                announcement=Announcement(
                    event=FREEZE_STARTING,
                    object_id=window.pk,
                    key=f"{FREEZE_STARTING}:{window.pk}:{start.isoformat()}",
                    data={"start": start.isoformat(), "end": end.isoformat()},
                )
            )
            announced += 1
    return announced
