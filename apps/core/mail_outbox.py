"""The mail outbox: every e-mail Deploydesk sends is rendered and stored in the transaction that decides to send it,
and sent by the worker from there, so a web server, worker or broker that dies loses none.

`mail_queue(subject=…, body=…, to=[…], key=…)` stores an OutboxMail row — subject, body, sender, recipients and a
Message-ID fixed now — inside the caller's transaction: the message and the record that it was sent (a timeline
event, a claimed reminder, a checkpoint's delivery) commit together or not at all. After commit the worker is
handed `mail_send(row id)`; a hand-out that never arrives (a killed worker, Redis without acknowledgements, a web
process gone between commit and hand-out) is made good by `mail_send_due`, on a one-minute schedule.

Sending claims the row first — a claim token and its time, taken with SELECT … FOR UPDATE SKIP LOCKED, so no two
workers hold it at once — sends it through Django's mail backend with its Message-ID, then marks it sent. A claim
older than OUTBOX_RESEND_SECONDS belongs to a worker presumed dead, and is taken over.

This is at-least-once delivery, not exactly-once: a worker killed after the mail server accepted a message and
before it marked it sent leaves it unsent on record, and it goes out again — with the same Message-ID and Date, so
receiving mail systems and clients that drop duplicates by Message-ID show it once. Nothing is lost, and a
duplicate needs a worker to die in that window (or a send slower than OUTBOX_RESEND_SECONDS).

A mail server that is down leaves the message queued: it is tried again after 1, 2, 4 … 60 minutes and given up
after MAX_ATTEMPTS tries (logged as an error, kept with its last error for the admin). Sent and given-up rows are
removed after MAIL_OUTBOX_KEEP_DAYS."""

import logging
import uuid
from datetime import datetime, timedelta
from email.utils import formatdate
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from apps.core.models import OutboxMail

logger = logging.getLogger(__name__)

SEND = "apps.core.mail_outbox.mail_send"
MAX_ATTEMPTS = 8  # tries before a message is given up: about five hours of a mail server that stays down
BATCH = 200  # messages one sweep sends at most; the next sweep sends the rest


def _message_id() -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "deploydesk.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def mail_queue(*, subject: str, body: str, to: list[str], key: str = "", from_email: str | None = None) -> OutboxMail:
    """Store one message to `to` in the current transaction, with a Message-ID that stays the same however often it
    is sent; the worker sends it after commit (at once outside a transaction). Nothing is stored or sent when the
    transaction rolls back. `key` says what it is about (searchable in the admin)."""
    if not to:
        raise ValueError("An e-mail needs at least one recipient.")
    row = OutboxMail.objects.create(
        message_id=_message_id(),
        key=key[:200],
        subject=subject,
        body=body,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        recipients=list(to),
        next_attempt_at=timezone.now(),
    )
    pk = row.pk
    # best effort: a hand-out that fails or is lost is made good by the sweep
    transaction.on_commit(lambda: async_task(SEND, pk, task_name=f"mail-{pk}"), robust=True)
    return row


def _due(now: datetime):
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_SECONDS)
    return OutboxMail.objects.filter(sent_at__isnull=True, gave_up_at__isnull=True, next_attempt_at__lte=now).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)
    )


def _claim(*, now: datetime, pk: int | None = None) -> OutboxMail | None:
    """Claim the message `pk` (or the longest due one) if it is due and nobody alive holds it; None otherwise."""
    due = _due(now) if pk is None else _due(now).filter(pk=pk)
    with transaction.atomic():
        row = due.select_for_update(skip_locked=True).order_by("next_attempt_at", "pk").first()
        if row is None:
            return None
        if row.claim is not None:
            logger.warning(
                "E-mail %s: the claim taken at %s was abandoned; taken over.", row.message_id, row.claimed_at
            )
        row.claim, row.claimed_at, row.attempts = uuid.uuid4(), now, row.attempts + 1
        row.save(update_fields=["claim", "claimed_at", "attempts"])
    return row


def _failed(row: OutboxMail, exc: Exception) -> None:
    now = timezone.now()
    error = f"{type(exc).__name__}: {exc}"[:1000]
    mine = OutboxMail.objects.filter(pk=row.pk, claim=row.claim)
    if row.attempts >= MAX_ATTEMPTS:
        mine.update(claim=None, claimed_at=None, gave_up_at=now, last_error=error)
        logger.error(
            "Giving up e-mail %s (%s) after %s attempts: %s",
            row.message_id,
            row.key or row.subject,
            row.attempts,
            error,
        )
        return
    minutes = min(2 ** (row.attempts - 1), 60)
    mine.update(claim=None, claimed_at=None, next_attempt_at=now + timedelta(minutes=minutes), last_error=error)
    logger.warning("E-mail %s not sent (%s); attempt %s in %s min.", row.message_id, error, row.attempts + 1, minutes)


def _deliver(row: OutboxMail) -> bool:
    """Send a claimed message and mark it sent; on failure release it for a later attempt. True when sent."""
    headers = {
        "Message-ID": row.message_id,
        "Date": formatdate(row.created_at.timestamp(), localtime=settings.EMAIL_USE_LOCALTIME),
    }
    message = EmailMessage(row.subject, row.body, row.from_email, row.recipients, headers=headers)
    try:
        message.send()
    except Exception as exc:  # a mail server down or refusing, or a message it cannot take: tried again later
        _failed(row, exc)
        return False
    now = timezone.now()
    if not OutboxMail.objects.filter(pk=row.pk, claim=row.claim).update(sent_at=now, claim=None):
        # another worker took the claim over meanwhile and may be sending it too (the same Message-ID); marked sent
        # all the same, so that a failure of that worker does not queue it once more
        OutboxMail.objects.filter(pk=row.pk, sent_at__isnull=True).update(sent_at=now, claim=None, gave_up_at=None)
        logger.warning("E-mail %s was sent after its claim was taken over; it may arrive twice.", row.message_id)
    return True


def mail_send(pk: int) -> bool:
    """The worker's task after commit: send the message if it is still due and no live worker holds it (sent
    already, or in another worker's hands: nothing to do). True when this call sent it."""
    row = _claim(now=timezone.now(), pk=pk)
    return row is not None and _deliver(row)


def mail_send_due(*, now: datetime | None = None) -> int:
    """Every minute: send the messages that are due — hand-outs lost on their way, retries whose time has come,
    claims abandoned by a dead worker — longest due first, stopping at the first failure (the mail server is likely
    down; the others keep their attempts). Then remove sent and given-up rows older than MAIL_OUTBOX_KEEP_DAYS.
    Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for _ in range(BATCH):
        row = _claim(now=now)
        if row is None or not _deliver(row):
            break
        sent += 1
    old = now - timedelta(days=settings.MAIL_OUTBOX_KEEP_DAYS)
    OutboxMail.objects.filter(Q(sent_at__lt=old) | Q(gave_up_at__lt=old)).delete()
    return sent
