"""The outbox: background work recorded in the transaction that calls for it, so that no worker, web server or
broker failure loses it.

`outbox_enqueue(task, *args, key=…)` writes an OutboxTask row inside the caller's transaction and, after commit,
hands `run(row id)` to the worker. `run` calls the task and deletes the row. A row still there after
OUTBOX_RESEND_SECONDS was lost on its way (the worker was killed, the broker dropped it, the web process died
between commit and hand-out): `sweep`, on a one-minute schedule, hands it out again. Tasks are idempotent, so a
call handed out twice still has its effect once."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.tasks import async_task

from apps.core.models import OutboxTask

logger = logging.getLogger(__name__)

RUN = "apps.core.outbox.run"
TASK_PREFIX = "apps."  # only Deploydesk's own task functions are called from a row
MAX_ATTEMPTS = 10  # a call that failed this often stays in the table (admin: Outbox tasks) and is not handed out


def _hand_out(pk: int, key: str) -> None:
    async_task(RUN, pk, task_name=f"outbox-{pk}-{key}"[:100])


def outbox_enqueue(task: str, *args, key: str) -> OutboxTask:
    """Record the call `task(*args)` in the current transaction; the worker gets it after commit (at once outside a
    transaction). Nothing is recorded or sent when the transaction rolls back."""
    if not task.startswith(TASK_PREFIX):
        raise ValueError(f"Not a Deploydesk task: {task}")
    row = OutboxTask.objects.create(task=task, args=list(args), key=key, handed_out_at=timezone.now())
    transaction.on_commit(lambda: _hand_out(row.pk, key))
    return row


def run(pk: int):
    """Run the recorded call once its row is found, then delete the row. A row already gone was run by another
    worker: nothing to do."""
    row = OutboxTask.objects.filter(pk=pk).first()
    if row is None:
        return None
    if not row.task.startswith(TASK_PREFIX):
        logger.error("Outbox row %s names %r, not a Deploydesk task: removed unrun.", pk, row.task)
        OutboxTask.objects.filter(pk=pk).delete()
        return None
    OutboxTask.objects.filter(pk=pk).update(attempts=row.attempts + 1)
    result = import_string(row.task)(*row.args)
    OutboxTask.objects.filter(pk=pk).delete()
    return result


def sweep(*, now=None) -> int:
    """Every minute: hand out again each call that has waited longer than OUTBOX_RESEND_SECONDS since it was last
    handed out. Returns how many."""
    now = now or timezone.now()
    due = list(
        OutboxTask.objects.filter(
            handed_out_at__lt=now - timedelta(seconds=settings.OUTBOX_RESEND_SECONDS), attempts__lt=MAX_ATTEMPTS
        )
        .order_by("pk")
        .values_list("pk", "key")[:500]
    )
    if due:
        OutboxTask.objects.filter(pk__in=[pk for pk, _ in due]).update(handed_out_at=now)
        logger.warning("Outbox: %s background call(s) were lost on their way; handed out again.", len(due))
    for pk, key in due:
        _hand_out(pk, key)
    return len(due)
