"""API shapes of webhooks and their deliveries (DESIGN.md §5): the secret is write-only, never read back."""

from rest_framework import serializers

from apps.catalog.models import Service
from apps.environments.models import Environment
from apps.integrations.events import EVENT_CHOICES
from apps.integrations.models import WebhookDelivery, WebhookFormat, WebhookSubscription


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=150)
    url = serializers.URLField(max_length=500)
    secret = serializers.CharField(
        write_only=True, max_length=200, required=False, help_text="Required when creating; empty keeps the current."
    )
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES), allow_empty=False)
    format = serializers.ChoiceField(choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), allow_null=True, required=False)
    environment = serializers.PrimaryKeyRelatedField(
        queryset=Environment.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "name",
            "url",
            "secret",
            "events",
            "format",
            "service",
            "environment",
            "active",
            "owner",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
        ]
        read_only_fields = ["owner", "consecutive_failures", "disabled_at", "disabled_reason"]

    def validate(self, attrs):
        if self.instance is None and not attrs.get("secret"):
            raise serializers.ValidationError({"secret": "A secret is required to sign the deliveries."})
        return attrs


class WebhookDeliverySerializer(serializers.ModelSerializer):
    delivery_id = serializers.UUIDField(source="guid", read_only=True, help_text="X-Deploydesk-Delivery")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "attempt",
            "status_code",
            "duration_ms",
            "delivered_at",
            "state",
            "delivery_id",
            "error",
            "redelivery_of",
            "created_at",
        ]
        read_only_fields = fields
