"""Work that must not be lost: a background call or an e-mail recorded in the transaction that causes it."""

from django.db import models


class OutboxTask(models.Model):
    """A background task call written in the same transaction as the change that calls for it, and removed once the
    task has run. A worker that dies with the call in hand (a broker without acknowledgements, such as Redis, loses
    what it handed out) leaves the row behind, and the sweeper hands it out again. Tasks run this way must be
    idempotent: the deployment e-mails and webhook fan-outs are (each is sent once per occurrence)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    key = models.CharField(max_length=200, help_text="What the call is about, for the worker's task name.")
    created_at = models.DateTimeField(auto_now_add=True)
    handed_out_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.key} ({self.task})"


class OutboxMail(models.Model):
    """An e-mail rendered and stored in the transaction that decided to send it (apps/core/mail_outbox.py), then sent
    by the worker with the Message-ID fixed here. The row stays after sending, as the record of what left and when;
    a message the mail server kept refusing stays with `gave_up_at` set."""

    message_id = models.CharField(max_length=255, unique=True, help_text="The Message-ID header, the same on a resend.")
    key = models.CharField(max_length=200, blank=True, help_text="What the message is about.")
    subject = models.TextField()
    body = models.TextField()
    from_email = models.CharField(max_length=320)
    recipients = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(help_text="Not sent before this (later after a failed attempt).")
    claim = models.UUIDField(null=True, blank=True, help_text="The worker sending it now.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "outbox e-mail"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True, gave_up_at__isnull=True),
                name="core_outboxmail_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.recipients)}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        if self.gave_up_at:
            return "given up"
        return "sending" if self.claim else "queued"
