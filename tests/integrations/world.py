"""The webhooks' part of the shared test world: `w.webhook`, the manager's subscription, and one failed
delivery of it (`w.webhook_delivery`)."""

from tests.factories.integrations import WebhookDeliveryFactory, WebhookSubscriptionFactory


def extend(w) -> None:
    w.webhook = WebhookSubscriptionFactory(owner=w.users["manager"], name="Release channel")
    w.webhook_delivery = WebhookDeliveryFactory(subscription=w.webhook)
