"""Tests of apps/core/mail_outbox.py: e-mail stored with the record that sends it, sent by a claiming worker once,
taken over from a dead worker, retried while the mail server is down, and resent only with its own Message-ID."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.test import Client
from django.utils import timezone

from apps.core.admin import ReadOnlyAdmin
from apps.core.mail_outbox import MAX_ATTEMPTS, _claim, _deliver, mail_queue, mail_send, mail_send_due
from apps.core.models import OutboxMail
from apps.deployments.services import Context, deployment_transition
from apps.deployments.tasks import notify_event
from tests.factories.accounts import UserFactory

SMTP_DOWN = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1"}


class KilledAfterAcceptance(EmailBackend):
    """The mail server accepts the message, then the worker dies before it can mark it sent."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise SystemExit("worker killed")


def _smtp_down(settings) -> None:
    settings.EMAIL_BACKEND = SMTP_DOWN["EMAIL_BACKEND"]
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = SMTP_DOWN["EMAIL_HOST"], 1, 2


def _queue(**kwargs) -> OutboxMail:
    return mail_queue(**{"subject": "Hello", "body": "Body", "to": ["ann@example.test"], "key": "test", **kwargs})


def _later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def _submitted_event(world):
    deployment_transition(ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit")
    return world.draft.events.filter(kind="transition").latest("id")


def test_a_committed_communication_has_its_message_queued_with_it(world):
    # given a transition whose e-mail task runs (the test's transaction stands for the worker's)
    event = _submitted_event(world)
    # when the task records the communication
    recipients = notify_event(event.pk)
    # then the message is stored beside the record, rendered, with a Message-ID, not yet sent
    communication = world.draft.events.get(kind="communication")
    queued = OutboxMail.objects.get(key=f"event:{event.pk}")
    assert communication.data["recipients"] == recipients == queued.recipients
    assert world.draft.reference in queued.subject and "Pending approval" in queued.subject
    assert queued.message_id.startswith("<") and queued.message_id.endswith(">")
    assert (queued.sent_at, queued.attempts, queued.state) == (None, 0, "queued")


def test_a_rolled_back_communication_queues_nothing_and_hands_nothing_out(world, django_capture_on_commit_callbacks):
    event = _submitted_event(world)
    before = OutboxMail.objects.count()
    mail.outbox.clear()
    # when the task's transaction rolls back after recording the communication
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify_event(event.pk)
        raise RuntimeError("the worker failed before commit")
    # then neither the record nor the message exists, and nothing was sent
    assert OutboxMail.objects.count() == before
    assert not world.draft.events.filter(kind="communication").exists()
    assert callbacks == [] and mail.outbox == []


def test_after_commit_the_worker_sends_the_message_once_with_its_message_id(db, django_capture_on_commit_callbacks):
    # when a message is queued and its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        queued = _queue(subject="Deploydesk test", to=["ann@example.test", "bob@example.test"])
    # then it was sent once, with the stored Message-ID, and marked sent
    queued.refresh_from_db()
    assert [(m.subject, m.to) for m in mail.outbox] == [("Deploydesk test", ["ann@example.test", "bob@example.test"])]
    sent = mail.outbox[0].message()
    assert sent["Message-ID"] == queued.message_id
    assert (queued.state, queued.attempts, queued.claim) == ("sent", 1, None)
    # and a second hand-out, or a sweep, sends nothing more
    assert mail_send(queued.pk) is False
    assert mail_send_due(now=_later(3600)) == 0
    assert len(mail.outbox) == 1


def test_a_message_held_by_a_live_worker_is_left_alone_and_a_stale_claim_is_taken_over(db, settings):
    # given a message claimed by a worker that then died (before it sent anything)
    queued = _queue()
    dead = _claim(now=timezone.now(), pk=queued.pk)
    assert dead is not None and OutboxMail.objects.get(pk=queued.pk).state == "sending"
    # when another worker is handed it while the claim is fresh, it leaves it alone
    assert mail_send(queued.pk) is False
    assert mail_send_due() == 0
    assert mail.outbox == []
    # when the claim is older than OUTBOX_RESEND_SECONDS, the sweep takes it over and sends it once
    assert mail_send_due(now=_later(settings.OUTBOX_RESEND_SECONDS + 1)) == 1
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1
    # and the dead worker's claim cannot mark it again or release it
    assert OutboxMail.objects.filter(pk=queued.pk, claim=dead.claim).count() == 0


def test_a_slow_worker_that_sends_after_its_claim_was_taken_over_still_marks_the_message_sent(db, settings):
    # given a slow worker's claim, taken over by a second worker that found the mail server down
    queued = _queue()
    slow = _claim(now=timezone.now(), pk=queued.pk)
    _smtp_down(settings)
    assert mail_send_due(now=_later(settings.OUTBOX_RESEND_SECONDS + 1)) == 0
    assert OutboxMail.objects.get(pk=queued.pk).state == "queued"
    # when the slow worker's send goes through after all
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _deliver(slow) is True
    # then the message is marked sent, and not queued once more
    assert OutboxMail.objects.get(pk=queued.pk).state == "sent"
    assert mail_send_due(now=_later(7200)) == 0
    assert len(mail.outbox) == 1


def test_a_mail_server_that_is_down_keeps_the_message_queued_and_retries_it_with_backoff(db, settings):
    # given a mail server that refuses connections
    _smtp_down(settings)
    queued = _queue()
    # when the worker tries it, it stays queued, released, with its error, for a minute later
    before = timezone.now()
    assert mail_send(queued.pk) is False
    queued.refresh_from_db()
    assert (queued.state, queued.attempts, queued.claim) == ("queued", 1, None)
    assert "refused" in queued.last_error.lower()
    assert before + dt.timedelta(minutes=1) <= queued.next_attempt_at <= timezone.now() + dt.timedelta(minutes=1)
    # a sweep before that leaves it alone; after it, tries again and waits twice as long
    assert mail_send_due() == 0 and OutboxMail.objects.get(pk=queued.pk).attempts == 1
    assert mail_send_due(now=queued.next_attempt_at) == 0
    queued.refresh_from_db()
    assert queued.attempts == 2 and queued.next_attempt_at >= timezone.now() + dt.timedelta(seconds=119)
    # when the mail server is back, the next attempt sends it, once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_due(now=queued.next_attempt_at) == 1
    assert mail_send_due(now=_later(7200)) == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].message()["Message-ID"] == queued.message_id


def test_a_message_the_mail_server_keeps_refusing_is_given_up_after_the_last_attempt(db, settings):
    _smtp_down(settings)
    queued = _queue()
    OutboxMail.objects.filter(pk=queued.pk).update(attempts=MAX_ATTEMPTS - 1)
    assert mail_send(queued.pk) is False
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("given up", MAX_ATTEMPTS)
    # kept for the administrator, never tried again
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_due(now=_later(86400)) == 0
    assert mail.outbox == []


def test_a_sweep_stops_at_the_first_failure_so_the_others_keep_their_attempts(db, settings):
    _smtp_down(settings)
    first, second = _queue(subject="first"), _queue(subject="second")
    assert mail_send_due() == 0
    assert list(OutboxMail.objects.order_by("pk").values_list("attempts", flat=True)) == [1, 0]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_due(now=_later(61)) == 2
    assert sorted(m.subject for m in mail.outbox) == [first.subject, second.subject]


def test_a_worker_killed_after_acceptance_resends_with_the_same_message_id(db, settings):
    # given a worker that dies after the mail server accepted the message and before it marked it sent
    settings.EMAIL_BACKEND = "tests.core.test_mail_outbox.KilledAfterAcceptance"
    queued = _queue()
    with pytest.raises(SystemExit):
        mail_send(queued.pk)
    assert OutboxMail.objects.get(pk=queued.pk).state == "sending"
    # when its claim goes stale, another worker sends it again (at-least-once)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert mail_send_due(now=_later(settings.OUTBOX_RESEND_SECONDS + 1)) == 1
    # then the two copies carry the same Message-ID and Date, so the receiver shows one
    first, second = (m.message() for m in mail.outbox)
    assert first["Message-ID"] == second["Message-ID"] == queued.message_id
    assert first["Date"] == second["Date"]
    assert OutboxMail.objects.get(pk=queued.pk).state == "sent"


def test_old_sent_and_given_up_messages_are_removed_by_the_sweep(db, settings):
    sent, given_up, waiting = _queue(), _queue(), _queue()
    old = timezone.now() - dt.timedelta(days=settings.MAIL_OUTBOX_KEEP_DAYS + 1)
    OutboxMail.objects.filter(pk=sent.pk).update(sent_at=old)
    OutboxMail.objects.filter(pk=given_up.pk).update(gave_up_at=old)
    OutboxMail.objects.filter(pk=waiting.pk).update(next_attempt_at=_later(3600))
    mail_send_due()
    assert list(OutboxMail.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_a_message_needs_a_recipient(db):
    with pytest.raises(ValueError):
        _queue(to=[])


def test_the_admin_shows_the_mail_outbox_read_only(db):
    # given a queued message and an administrator
    queued = _queue(subject="Shown in the admin")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    # then the list shows it, and nobody adds, changes or deletes one
    page = client.get("/admin/core/outboxmail/")
    assert page.status_code == 200 and "Shown in the admin" in page.content.decode()
    assert client.get(f"/admin/core/outboxmail/{queued.pk}/change/").status_code == 200
    assert client.get("/admin/core/outboxmail/add/").status_code == 403
    model_admin = admin.site._registry[OutboxMail]
    assert isinstance(model_admin, ReadOnlyAdmin) and model_admin.superuser_may_delete is False
