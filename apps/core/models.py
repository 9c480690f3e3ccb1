"""Background work that must not be lost: a task call recorded in the transaction that causes it."""

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
