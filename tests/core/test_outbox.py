"""The outbox: background calls are recorded with the transaction that causes them, run once, and handed out again
when they were lost on their way (a killed worker, a broker without acknowledgements)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from apps.core import outbound, outbox
from apps.core.models import OutboxTask
from apps.deployments.services import Context, deployment_transition
from apps.deployments.tasks import notify_event


def _submit(world):
    return deployment_transition(
        ctx=Context(actor=world.users["product_owner"]), deployment=world.draft, transition="submit"
    )


def test_a_transition_records_its_notification_in_its_own_transaction(world):
    # when a transition happens (its transaction not yet committed: the test's)
    _submit(world)
    # then the notification and the announcement wait in the outbox, not yet run
    keys = set(OutboxTask.objects.values_list("key", flat=True))
    event = world.draft.events.filter(kind="transition").latest("id")
    assert f"notify-event-{event.pk}" in keys
    assert f"deployment.submit:{event.pk}" in keys


def test_a_rolled_back_transition_leaves_nothing_to_run(world):
    before = OutboxTask.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        _submit(world)
        raise RuntimeError("the request failed after the transition")
    assert OutboxTask.objects.count() == before


def test_after_commit_the_calls_run_and_their_rows_go(world, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    waiting = set(OutboxTask.objects.values_list("pk", flat=True))  # left by the world's own set-up
    with django_capture_on_commit_callbacks(execute=True):
        _submit(world)
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == waiting
    assert len(mail.outbox) == 1


def test_a_call_lost_on_its_way_is_handed_out_again_by_the_sweep_and_has_its_effect_once(
    world, settings, django_capture_on_commit_callbacks
):
    # given a notification recorded, whose hand-out never reached a worker (the process died after commit)
    mail.outbox.clear()
    _submit(world)
    event = world.draft.events.filter(kind="transition").latest("id")
    lost = OutboxTask.objects.get(key=f"notify-event-{event.pk}")
    # when the sweep runs before the resend delay, nothing is handed out
    assert outbox.sweep() == 0
    # when it runs after it, the call is run (tests run the worker in-process), its e-mail leaves the mail outbox
    # after commit, and its row goes
    later = timezone.now() + dt.timedelta(seconds=settings.OUTBOX_RESEND_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.sweep(now=later) >= 1
    assert not OutboxTask.objects.filter(pk=lost.pk).exists()
    about_it = [m for m in mail.outbox if world.draft.reference in m.subject and "Pending approval" in m.subject]
    assert len(about_it) == 1
    # and a duplicate hand-out of the same call (the first worker was only slow) sends nothing more
    assert outbox.run(lost.pk) is None
    assert notify_event(event.pk) == []
    assert len([m for m in mail.outbox if world.draft.reference in m.subject and "Pending approval" in m.subject]) == 1


def test_a_call_that_keeps_failing_stops_being_handed_out(db, settings):
    row = OutboxTask.objects.create(
        task="apps.core.outbox.no_such_task", args=[], key="broken", handed_out_at=timezone.now(), attempts=10
    )
    later = timezone.now() + dt.timedelta(seconds=settings.OUTBOX_RESEND_SECONDS + 1)
    assert outbox.sweep(now=later) == 0
    assert OutboxTask.objects.filter(pk=row.pk).exists()  # kept for an administrator to see


def test_only_deploydesk_tasks_are_recorded_or_run(db):
    with pytest.raises(ValueError):
        outbox.outbox_enqueue("os.system", "true", key="nope")
    forged = OutboxTask.objects.create(task="os.system", args=["true"], key="forged", handed_out_at=timezone.now())
    assert outbox.run(forged.pk) is None
    assert not OutboxTask.objects.filter(pk=forged.pk).exists()


def test_every_listener_hears_an_announcement_even_when_one_fails_and_the_call_is_kept(monkeypatch):
    heard = []

    def broken(announcement):
        raise RuntimeError("listener down")

    monkeypatch.setattr(outbound, "_subscribers", [broken, heard.append])
    with pytest.raises(RuntimeError):
        outbound.publish_recorded("deployment.submit", 7, "", {})
    assert [a.occurrence for a in heard] == ["deployment.submit:7"]
