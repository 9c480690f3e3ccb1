"""Every write on webhooks: subscriptions, the fan-out of an event into deliveries, each attempt, redelivery and
switching off a subscription that keeps failing."""

import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core.mail_outbox import mail_queue
from apps.core.outbound import Announcement
from apps.core.outbox import outbox_enqueue
from apps.core.permissions import require
from apps.core.services import model_update
from apps.integrations import formats, signing
from apps.integrations.events import subject_load, subject_matches
from apps.integrations.models import DeliveryState, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

FIELDS = ("name", "url", "secret", "events", "format", "service", "environment", "active")
RESET_FIELDS = ("consecutive_failures", "disabled_at", "disabled_reason")  # cleared when switched back on


def _enqueue(delivery_id: int) -> None:
    """The first attempt of a delivery, recorded with the transaction that made (or reset) it."""
    outbox_enqueue("apps.integrations.tasks.deliver", delivery_id, 1, key=f"webhook-delivery-{delivery_id}-1")


# --- subscriptions ----------------------------------------------------------------------------------------------


@transaction.atomic
def subscription_create(*, actor, **fields) -> WebhookSubscription:
    """A new subscription owned by `actor` (deployment managers); it hears only of what `actor` may see."""
    require(actor, "integrations.add_webhooksubscription")
    subscription = WebhookSubscription(owner=actor, **{k: v for k, v in fields.items() if k in FIELDS})
    subscription.full_clean()
    subscription.save()
    return subscription


@transaction.atomic
def subscription_update(*, subscription: WebhookSubscription, actor, **fields) -> WebhookSubscription:
    """Change a subscription; an empty secret keeps the current one. Switching it back on clears the failures."""
    require(actor, "integrations.change_webhooksubscription")
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    changes = {name: fields[name] for name in FIELDS if name in fields and (name != "secret" or fields[name])}
    if changes.get("active") and not locked.active:
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    return model_update(instance=locked, fields=changes, allowed=(*FIELDS, *RESET_FIELDS))


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, actor) -> None:
    require(actor, "integrations.delete_webhooksubscription")
    subscription.delete()


# --- fan-out ----------------------------------------------------------------------------------------------------


def deliveries_fan_out(*, announcement: Announcement) -> list[WebhookDelivery]:
    """One delivery per active subscription that wants the event, whose filters match and whose owner may see the
    subject; each sent by the worker after commit. Announced twice, it creates nothing the second time."""
    subject = subject_load(announcement)
    if subject is None:
        return []
    created = []
    subscriptions = WebhookSubscription.objects.filter(active=True).select_related("owner").order_by("pk")
    for subscription in subscriptions:
        if announcement.event not in (subscription.events or []) or not subject_matches(subscription, subject):
            continue
        body = formats.render(subscription.format, payload=subject.payload, message=subject.message)
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    subscription=subscription, event=announcement.event, occurrence=announcement.occurrence, body=body
                )
                _enqueue(delivery.pk)
        except IntegrityError:
            continue  # announced before: that delivery exists already
        created.append(delivery)
    return created


# --- attempts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivery: WebhookDelivery
    retry: bool  # another attempt should be scheduled


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A receiver's redirect is an answer, not an instruction: the signed body is never sent elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http/https only)
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:500]


class DeliveryInFlight(Exception):
    """The attempt is claimed by a worker that may still be sending it: the outbox keeps the call and hands it out
    again later, when a claim older than the longest an attempt can take is taken over."""


def _claim_expiry_seconds() -> int:
    return settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 30


def _earlier_pending(delivery: WebhookDelivery):
    return WebhookDelivery.objects.filter(
        subscription_id=delivery.subscription_id, state=DeliveryState.PENDING, pk__lt=delivery.pk
    )


def _kick_next(subscription_id: int) -> None:
    """A delivery is done (delivered or failed): send the next one that waited its turn."""
    waiting = (
        WebhookDelivery.objects.filter(subscription_id=subscription_id, state=DeliveryState.PENDING, attempt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if waiting is not None:
        _enqueue(waiting)


def _record(delivery: WebhookDelivery, *, attempt: int, state: str, status_code, duration_ms, error: str) -> None:
    now = timezone.now()
    delivery.history = [
        *delivery.history,
        {
            "attempt": attempt,
            "at": now.isoformat(),
            "status_code": status_code,
            "duration_ms": duration_ms,
            "error": error,
        },
    ]
    delivery.state, delivery.status_code, delivery.duration_ms = state, status_code, duration_ms
    delivery.delivered_at, delivery.error = now, error
    delivery.save(update_fields=["history", "state", "status_code", "duration_ms", "delivered_at", "error"])


def delivery_attempt(*, delivery_id: int, attempt: int) -> Outcome | None:
    """Make attempt number `attempt` of a pending delivery, once (a second run finds it claimed and does nothing)
    and record the answer. A failed attempt is retried until WEBHOOK_MAX_ATTEMPTS, then the delivery is failed.

    Deliveries to one webhook go in order: a first attempt waits while an earlier delivery of the same webhook is
    still pending (retrying), and is sent when that one is delivered or failed."""
    delivery = WebhookDelivery.objects.select_related("subscription__owner").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return None
    now = timezone.now()
    if delivery.attempt == attempt and len(delivery.history) < attempt:
        # claimed, never recorded: another worker is sending it, or died while sending it (a kill, a lost node)
        if delivery.delivered_at and delivery.delivered_at > now - timedelta(seconds=_claim_expiry_seconds()):
            raise DeliveryInFlight(f"Delivery {delivery_id}, attempt {attempt}, is being sent by another worker.")
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, attempt=attempt, delivered_at=delivery.delivered_at
        ).update(delivered_at=now)  # take it over; the receiver may see its delivery id twice
    elif delivery.attempt != attempt - 1:
        return None
    elif attempt == 1 and _earlier_pending(delivery).exists():
        return None  # waits its turn: _kick_next sends it
    else:
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, attempt=attempt - 1
        ).update(attempt=attempt, delivered_at=now)
    if not claimed:
        return None
    delivery.attempt = attempt
    subscription = delivery.subscription
    if not subscription.active:
        _record(
            delivery,
            attempt=attempt,
            state=DeliveryState.FAILED,
            status_code=None,
            duration_ms=None,
            error="Not sent: the webhook is switched off.",
        )
        _kick_next(subscription.pk)
        return Outcome(delivery=delivery, retry=False)
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = signing.headers(
        secret=subscription.secret, event=delivery.event, delivery=str(delivery.guid), timestamp=timestamp, body=body
    )
    started = time.monotonic()
    status_code, error = _post(subscription.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    retry = not ok and attempt < settings.WEBHOOK_MAX_ATTEMPTS
    state = DeliveryState.DELIVERED if ok else DeliveryState.PENDING if retry else DeliveryState.FAILED
    _record(delivery, attempt=attempt, state=state, status_code=status_code, duration_ms=duration_ms, error=error)
    if ok:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
    elif state == DeliveryState.FAILED:
        _count_failure(subscription)
    if state != DeliveryState.PENDING:
        _kick_next(subscription.pk)
    return Outcome(delivery=delivery, retry=retry)


def _count_failure(subscription: WebhookSubscription) -> None:
    """N failed deliveries in a row switch the subscription off and tell its owner, once (the message is queued in
    the mail outbox with the switch-off)."""
    with transaction.atomic():
        failures = F("consecutive_failures") + 1
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=failures)
        locked = WebhookSubscription.objects.select_for_update().select_related("owner").get(pk=subscription.pk)
        if not locked.active or locked.consecutive_failures < settings.WEBHOOK_DISABLE_AFTER_FAILURES:
            return
        locked.active, locked.disabled_at = False, timezone.now()
        locked.disabled_reason = f"Switched off after {locked.consecutive_failures} failed deliveries in a row."
        locked.save(update_fields=["active", "disabled_at", "disabled_reason"])
        owner = locked.owner
        if owner.email and owner.is_active:
            url = f"{settings.SITE_URL.rstrip('/')}/webhooks/{locked.pk}/deliveries/"
            mail_queue(
                subject=f"Webhook “{locked.name}” switched off",
                body=f"Deploydesk could not deliver to {locked.url} {locked.consecutive_failures} times in a row, so "
                f"the webhook “{locked.name}” is switched off.\n\nSee the delivery log, fix the receiver, then "
                f"switch it back on and redeliver what it missed:\n{url}\n",
                to=[owner.email],
                key=f"webhook-off-{locked.pk}",
            )


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery again, as a new row with the same body and the same delivery id (the receiver may drop it
    if it has it already); sent by the worker after commit."""
    require(actor, "integrations.change_webhooksubscription")
    again = WebhookDelivery.objects.create(
        subscription=delivery.subscription,
        event=delivery.event,
        occurrence=delivery.occurrence,
        guid=delivery.guid,
        body=delivery.body,
        redelivery_of=delivery.redelivery_of or delivery,
    )
    _enqueue(again.pk)
    return again
