"""Factories for webhook subscriptions and deliveries."""

import factory

from apps.integrations.models import DeliveryState, WebhookDelivery, WebhookFormat, WebhookSubscription
from tests.factories.accounts import UserFactory


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Receiver {n}")
    url = factory.Sequence(lambda n: f"https://hooks.example.test/{n}")
    secret = factory.Sequence(lambda n: f"secret-{n}")
    events = factory.LazyFunction(lambda: ["deployment.submit", "approval.needed"])
    format = WebhookFormat.JSON
    owner = factory.SubFactory(UserFactory, roles=["manager"])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = "deployment.submit"
    occurrence = factory.Sequence(lambda n: f"deployment.submit:{n}")
    body = '{"event":"deployment.submit"}'
    state = DeliveryState.FAILED
    attempt = 6
    status_code = 500
    duration_ms = 12
