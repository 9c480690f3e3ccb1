"""Which subscriptions hear of an event (filters, what the owner may see), and the Slack and Teams shapes."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from apps.core.outbound import Announcement
from apps.deployments.models import DeploymentEvent
from apps.deployments.services import Context, deployment_transition
from apps.integrations import services, tasks
from apps.integrations.models import WebhookDelivery, WebhookFormat
from apps.reviews.tasks import remind_overdue_reviews
from tests.factories.accounts import UserFactory
from tests.factories.catalog import ComponentVersionFactory, ServiceFactory
from tests.factories.deployments import plan
from tests.factories.environments import EnvironmentFactory, FreezeWindowFactory
from tests.factories.integrations import WebhookSubscriptionFactory
from tests.factories.reviews import ModelReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted():
    """A submitted deployment and the announcement of its submission (not fanned out yet)."""
    manager = UserFactory(roles=["manager"])
    service, environment = ServiceFactory(), EnvironmentFactory()
    deployment = plan(
        requester=manager,
        service=service,
        environment=environment,
        versions=[ComponentVersionFactory(component__service=service)],
    )
    deployment_transition(ctx=Context(actor=manager), deployment=deployment, transition="submit")
    event = DeploymentEvent.objects.filter(deployment=deployment, to_status="pending_approval").get()
    return deployment, event


def _fan_out(event_name: str, event: DeploymentEvent) -> set[int]:
    announcement = Announcement(event=event_name, object_id=event.pk)
    return {d.subscription_id for d in services.deliveries_fan_out(announcement=announcement)}


def test_filters_and_the_owners_view_decide_who_hears_of_a_deployment(submitted):
    # given subscriptions with matching and other filters, owners who may and may not see the deployment
    deployment, event = submitted
    product_owner = UserFactory(roles=["product_owner"])
    deployment.service.product_owners.add(product_owner)
    outsider = UserFactory(roles=["product_owner"])
    inactive = UserFactory(roles=["manager"], is_active=False)
    hooks = {
        "everything": WebhookSubscriptionFactory(),
        "same service": WebhookSubscriptionFactory(service=deployment.service),
        "other service": WebhookSubscriptionFactory(service=ServiceFactory()),
        "same environment": WebhookSubscriptionFactory(environment=deployment.environment),
        "other environment": WebhookSubscriptionFactory(environment=EnvironmentFactory()),
        "owner of its service": WebhookSubscriptionFactory(owner=product_owner),
        "owner who cannot see it": WebhookSubscriptionFactory(owner=outsider),
        "inactive owner": WebhookSubscriptionFactory(owner=inactive),
        "switched off": WebhookSubscriptionFactory(active=False),
        "other events": WebhookSubscriptionFactory(events=["review.due"]),
    }
    # when the submission is fanned out
    heard = _fan_out("deployment.submit", event)
    # then exactly the matching, visible, active ones get a delivery
    assert {name for name, hook in hooks.items() if hook.pk in heard} == {
        "everything",
        "same service",
        "same environment",
        "owner of its service",
    }


def test_json_payload_of_an_approval_request_links_to_the_approval_page(submitted, settings):
    # given a JSON webhook wanting approval requests
    settings.SITE_URL = "https://deploydesk.example.test/"
    deployment, event = submitted
    hook = WebhookSubscriptionFactory(events=["approval.needed"])
    # when the approval request is fanned out
    _fan_out("approval.needed", event)
    # then the body names the deployment and the page where it is approved
    body = json.loads(WebhookDelivery.objects.get(subscription=hook).body)
    url = f"https://deploydesk.example.test/deployments/{deployment.pk}/"
    assert body["event"] == "approval.needed"
    assert body["approval_url"] == url + "#approvals-title"
    assert body["deployment"]["url"] == url
    assert body["deployment"]["status"] == "pending_approval"
    assert body["transition"]["name"] == "submit"


def test_slack_message_has_a_link_back_and_a_button_that_only_opens_the_page(submitted, settings):
    settings.SITE_URL = "https://deploydesk.example.test"
    deployment, event = submitted
    hook = WebhookSubscriptionFactory(events=["approval.needed"], format=WebhookFormat.SLACK)
    # when the approval request is fanned out to Slack
    _fan_out("approval.needed", event)
    # then it is an incoming-webhook message: text, a header, a link back, and a URL button (no interactive action)
    body = json.loads(WebhookDelivery.objects.get(subscription=hook).body)
    url = f"https://deploydesk.example.test/deployments/{deployment.pk}/"
    assert body["text"] == f"Approval needed: {deployment.reference} {deployment.title}: {url}"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "actions"]
    assert f"<{url}|Open in Deploydesk>" in body["blocks"][1]["text"]["text"]
    (button,) = body["blocks"][3]["elements"]
    assert button == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Review and approve in Deploydesk"},
        "url": url + "#approvals-title",
        "style": "primary",
    }
    assert "action_id" not in button and "value" not in button


def test_teams_adaptive_card_opens_the_approval_page(submitted, settings):
    settings.SITE_URL = "https://deploydesk.example.test"
    deployment, event = submitted
    hook = WebhookSubscriptionFactory(events=["approval.needed", "deployment.submit"], format=WebhookFormat.TEAMS)
    # when both events are fanned out to Teams
    _fan_out("approval.needed", event)
    _fan_out("deployment.submit", event)
    # then each is an Adaptive Card in a message envelope whose only actions open URLs; the approval request's first
    # opens the approval page
    bodies = {d.event: json.loads(d.body) for d in WebhookDelivery.objects.filter(subscription=hook)}
    url = f"https://deploydesk.example.test/deployments/{deployment.pk}/"
    message = bodies["approval.needed"]
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert [(a["type"], a["title"], a["url"]) for a in card["actions"]] == [
        ("Action.OpenUrl", "Review and approve in Deploydesk", url + "#approvals-title"),
        ("Action.OpenUrl", "Open in Deploydesk", url),
    ]
    assert {"title": "Environment", "value": deployment.environment.name} in card["body"][2]["facts"]
    submitted_card = bodies["deployment.submit"]["attachments"][0]["content"]
    assert [a["title"] for a in submitted_card["actions"]] == ["Open in Deploydesk"]


def test_a_freeze_starting_is_announced_once_to_its_environment(settings):
    # given a freeze of one environment starting in three hours, and webhooks filtered on it and on another
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=3)
    freeze = FreezeWindowFactory(start=start, end=start + dt.timedelta(hours=5))
    here = WebhookSubscriptionFactory(events=["freeze.starting"], environment=freeze.environment)
    elsewhere = WebhookSubscriptionFactory(events=["freeze.starting"], environment=EnvironmentFactory())
    # a freeze that starts after the notice period is not announced yet
    FreezeWindowFactory(start=start + dt.timedelta(days=3), end=start + dt.timedelta(days=4))
    # when the hourly task runs twice
    first, second = tasks.freezes_starting(), tasks.freezes_starting()
    # then the freeze was announced to the webhook of its environment, once
    assert (first, second) == (1, 1)
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.subscription == here
    body = json.loads(delivery.body)
    assert body["freeze_window"]["id"] == freeze.pk
    assert body["freeze_window"]["start"] == start.astimezone(dt.UTC).isoformat()
    assert not WebhookDelivery.objects.filter(subscription=elsewhere).exists()


def test_an_overdue_review_is_announced_from_the_reminder(django_capture_on_commit_callbacks):
    # given an overdue review and a webhook wanting reviews due
    review = ModelReviewFactory(due_date=timezone.localdate() - dt.timedelta(days=2))
    hook = WebhookSubscriptionFactory(events=["review.due"])
    # when the daily reminder runs
    with django_capture_on_commit_callbacks(execute=True):
        remind_overdue_reviews()
    # then the webhook got the review
    body = json.loads(WebhookDelivery.objects.get(subscription=hook).body)
    assert body["review"]["id"] == review.pk
    assert body["review"]["due_date"] == review.due_date.isoformat()


def test_an_audit_finding_reaches_only_owners_who_read_the_audit():
    # given webhooks of a manager and of a product owner wanting audit findings
    manager_hook = WebhookSubscriptionFactory(events=["audit_finding.raised"])
    other_hook = WebhookSubscriptionFactory(events=["audit_finding.raised"], owner=UserFactory(roles=["product_owner"]))
    # when a finding is announced
    announcement = Announcement(
        event="audit_finding.raised", object_id=7, data={"title": "Evidence missing", "severity": "high"}
    )
    deliveries = services.deliveries_fan_out(announcement=announcement)
    # then only the manager's webhook hears of it
    assert [d.subscription for d in deliveries] == [manager_hook]
    assert other_hook.pk not in [d.subscription_id for d in deliveries]
    assert json.loads(deliveries[0].body)["audit_finding"] == {"id": 7, "title": "Evidence missing", "severity": "high"}
