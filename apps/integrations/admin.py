"""Admin for webhooks: subscriptions (the secret is not shown) and the read-only delivery log."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.integrations.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "format", "owner", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["format", "active"]
    search_fields = ["name", "url"]
    exclude = ["secret"]
    readonly_fields = ["owner", "consecutive_failures", "disabled_at", "disabled_reason", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        return False  # created on the webhook page or through the API, where the secret is set


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription", "state", "attempt", "status_code", "duration_ms", "delivered_at"]
    list_filter = ["state", "event"]
    search_fields = ["guid", "occurrence"]

    superuser_may_delete = True  # administrators may clear the log

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]
