"""Signed outbound webhooks: who subscribed to which events (WebhookSubscription) and every delivery sent."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from apps.integrations.events import EVENT_NAMES
from apps.integrations.formats import WebhookFormat


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


def validate_webhook_url(value: str) -> None:
    URLValidator(schemes=["http", "https"])(value)


class WebhookSubscription(models.Model):
    """A receiver of Deploydesk's events. It hears only of what its owner may see, through the filters it sets."""

    name = models.CharField(max_length=150)
    url = models.URLField(max_length=500, validators=[validate_webhook_url], help_text="Where deliveries are POSTed.")
    secret = models.CharField(
        max_length=200, help_text="Signs every delivery (HMAC-SHA256); kept to compute the signature, never shown."
    )
    events = models.JSONField(default=list, help_text="The event names wanted.")
    format = models.CharField(max_length=10, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    environment = models.ForeignKey(
        "environments.Environment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    active = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:

        unknown = [e for e in self.events or [] if e not in EVENT_NAMES]
        if not isinstance(self.events, list) or not self.events:
            raise ValidationError({"events": "Choose at least one event."})
        if unknown:
            raise ValidationError({"events": f"Unknown event(s): {', '.join(map(str, unknown))}."})


class WebhookDelivery(models.Model):
    """One event sent to one subscription: the exact body, and how each attempt went. A redelivery is a new row
    with the same `guid` (X-Deploydesk-Delivery), so the receiver can drop what it already has."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    occurrence = models.CharField(max_length=200, help_text="What happened, once: the key against duplicates.")
    guid = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempt = models.PositiveIntegerField(default=0, help_text="Attempts made so far.")
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="When the last attempt was made.")
    error = models.CharField(max_length=500, blank=True)
    history = models.JSONField(default=list, blank=True)
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "occurrence"],
                condition=models.Q(redelivery_of__isnull=True),
                name="webhook_delivery_once_per_occurrence",
            )
        ]
        indexes = [models.Index(fields=["subscription", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription} ({self.state})"
