"""Signed deliveries to a real HTTP receiver process: signatures, a retry after a 500, order, no duplicates,
redelivery and switching off a webhook that keeps failing."""

import hashlib
import hmac

import pytest
from django.core import mail
from django_q.models import Schedule

from apps.core.outbound import Announcement
from apps.deployments.services import Context, deployment_transition
from apps.integrations import services, tasks
from apps.integrations.models import DeliveryState, WebhookDelivery
from apps.integrations.signing import signature
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployments import plan
from tests.factories.environments import EnvironmentFactory
from tests.factories.integrations import WebhookSubscriptionFactory
from tests.integrations.conftest import free_port, run_due_retries

pytestmark = pytest.mark.django_db

EVENTS = ["deployment.submit", "approval.needed", "deployment.approve"]


@pytest.fixture
def scene():
    requester, approver = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    service = ServiceFactory()
    version = ComponentVersionFactory(component__service=service)
    deployment = plan(requester=requester, service=service, environment=EnvironmentFactory(), versions=[version])
    return requester, approver, deployment


def _take(deployment, transition, actor, capture):
    with capture(execute=True):
        deployment_transition(ctx=Context(actor=actor), deployment=deployment, transition=transition)


def test_the_receiver_sees_signed_deliveries_a_retry_after_500_in_order_and_no_duplicates(
    scene, start_receiver, django_capture_on_commit_callbacks
):
    # given a receiver that answers 500 to its first request, and a webhook to it
    requester, approver, deployment = scene
    receiver = start_receiver("--fail-first", "1")
    hook = WebhookSubscriptionFactory(url=receiver.url, secret=receiver.secret, events=EVENTS, owner=approver)
    # when the deployment is submitted (two events), the retry falls due, and it is approved
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    first = receiver.received()
    with django_capture_on_commit_callbacks(execute=True):
        retried = run_due_retries()
    _take(deployment, "approve", approver, django_capture_on_commit_callbacks)
    # then the first attempt got 500 and was the only request before the retry (the next delivery waited its turn)
    assert [(e["event"], e["status"]) for e in first] == [("deployment.submit", 500)]
    assert retried == 1
    received = receiver.received()
    assert [(e["event"], e["status"]) for e in received] == [
        ("deployment.submit", 500),
        ("deployment.submit", 200),
        ("approval.needed", 200),
        ("deployment.approve", 200),
    ]
    # and every request was signed with the secret, fresh, JSON
    assert all(e["signature_ok"] and e["fresh"] and e["content_type"] == "application/json" for e in received)
    # and the retry carried the same delivery id; the accepted deliveries have distinct ids (no duplicates)
    assert received[0]["delivery"] == received[1]["delivery"]
    accepted = [e["delivery"] for e in received if e["status"] == 200]
    assert len(accepted) == len(set(accepted)) == 3
    assert [e["body"]["deployment"]["reference"] for e in received] == [deployment.reference] * 4
    assert received[3]["body"]["transition"] == {
        "name": "approve",
        "from_status": "pending_approval",
        "to_status": "approved",
        "actor": approver.get_full_name(),
        "channel": "web",
        "comment": "",
    }
    # and the log says so
    log = {d.event: d for d in WebhookDelivery.objects.filter(subscription=hook)}
    assert {e: (d.state, d.attempt, d.status_code) for e, d in log.items()} == {
        "deployment.submit": (DeliveryState.DELIVERED, 2, 200),
        "approval.needed": (DeliveryState.DELIVERED, 1, 200),
        "deployment.approve": (DeliveryState.DELIVERED, 1, 200),
    }
    assert [h["status_code"] for h in log["deployment.submit"].history] == [500, 200]


def test_announced_twice_or_run_twice_it_is_sent_once(scene, start_receiver, django_capture_on_commit_callbacks):
    # given a delivered submission
    requester, approver, deployment = scene
    receiver = start_receiver()
    WebhookSubscriptionFactory(url=receiver.url, secret=receiver.secret, events=["deployment.submit"], owner=approver)
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    event_id = int(delivery.occurrence.split(":")[1])
    # when the same event is fanned out again and the same attempt is run again
    with django_capture_on_commit_callbacks(execute=True):
        again = tasks.fan_out("deployment.submit", event_id)
    outcome = tasks.deliver(delivery.pk, 1)
    # then nothing new is created or sent
    assert again == []
    assert outcome == "skipped"
    assert len(receiver.received()) == 1
    assert WebhookDelivery.objects.count() == 1


def test_a_bad_secret_is_refused_by_the_receiver_and_retried_until_failed(
    scene, start_receiver, settings, django_capture_on_commit_callbacks
):
    # given a webhook whose secret the receiver does not share, and three attempts at most
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    requester, approver, deployment = scene
    receiver = start_receiver()
    hook = WebhookSubscriptionFactory(url=receiver.url, secret="not-the-receivers", events=EVENTS[:1], owner=approver)
    # when it is submitted and every retry falls due
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    while run_due_retries():
        pass
    # then the receiver refused three signatures and the delivery is failed after three attempts
    assert [(e["signature_ok"], e["status"]) for e in receiver.received()] == [(False, 401)] * 3
    delivery = WebhookDelivery.objects.get(subscription=hook)
    assert (delivery.state, delivery.attempt, delivery.status_code) == (DeliveryState.FAILED, 3, 401)
    assert Schedule.objects.filter(func="apps.integrations.tasks.deliver").count() == 0


def test_the_back_off_doubles(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 30, 200
    assert [tasks.backoff_seconds(n) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_redelivery_sends_the_same_body_with_the_same_delivery_id(
    scene, start_receiver, django_capture_on_commit_callbacks
):
    # given a delivered submission
    requester, approver, deployment = scene
    receiver = start_receiver()
    WebhookSubscriptionFactory(url=receiver.url, secret=receiver.secret, events=["deployment.submit"], owner=approver)
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    # when a manager redelivers it
    with django_capture_on_commit_callbacks(execute=True):
        again = services.delivery_redeliver(delivery=delivery, actor=approver)
    # then the receiver got the same body under the same delivery id, and the log has a second row
    first, second = receiver.received()
    assert (second["delivery"], second["body"], second["status"]) == (first["delivery"], first["body"], 200)
    again.refresh_from_db()
    assert (again.redelivery_of_id, again.state, again.guid) == (delivery.pk, DeliveryState.DELIVERED, delivery.guid)


def test_a_webhook_that_keeps_failing_is_switched_off_and_its_owner_told(
    scene, start_receiver, settings, django_capture_on_commit_callbacks
):
    # given a receiver that always answers 500, one attempt per delivery, and two failures in a row to switch off
    settings.WEBHOOK_MAX_ATTEMPTS, settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1, 2
    requester, approver, deployment = scene
    receiver = start_receiver("--status", "500")
    hook = WebhookSubscriptionFactory(url=receiver.url, secret=receiver.secret, events=EVENTS, owner=approver)
    # when submitting makes two deliveries that fail, and the approval a third
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    _take(deployment, "approve", approver, django_capture_on_commit_callbacks)
    # then the webhook is off after the second failure, its owner was told once, and nothing more was sent
    hook.refresh_from_db()
    assert (hook.active, hook.consecutive_failures) == (False, 2)
    assert hook.disabled_reason == "Switched off after 2 failed deliveries in a row."
    assert [m.to for m in mail.outbox if "switched off" in m.subject] == [[approver.email]]
    assert len(receiver.received()) == 2
    # and switching it back on clears the count
    hook = services.subscription_update(subscription=hook, actor=approver, active=True)
    assert (hook.active, hook.consecutive_failures, hook.disabled_at) == (True, 0, None)


def test_an_unreachable_receiver_is_a_failed_attempt_not_an_error(scene, settings, django_capture_on_commit_callbacks):
    # given a webhook to a closed port
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    requester, approver, deployment = scene
    hook = WebhookSubscriptionFactory(url=f"http://127.0.0.1:{free_port()}/", events=EVENTS[:1], owner=approver)
    # when it is submitted
    _take(deployment, "submit", requester, django_capture_on_commit_callbacks)
    # then the delivery is failed with the connection error and no status code
    delivery = WebhookDelivery.objects.get(subscription=hook)
    assert (delivery.state, delivery.status_code, delivery.attempt) == (DeliveryState.FAILED, None, 1)
    assert "refused" in delivery.error.lower()


def test_signature_of_a_known_body():
    # given HMAC-SHA256 of "1700000000.{}" with "s3cret", computed with the standard library
    expected = hmac.new(b"s3cret", b"1700000000.{}", hashlib.sha256).hexdigest()
    # when Deploydesk signs the same body at the same time
    value = signature(secret="s3cret", timestamp="1700000000", body=b"{}")
    # then it is the same, prefixed
    assert value == f"sha256={expected}"
    assert Announcement(event="review.due", object_id=3).occurrence == "review.due:3"
