"""Registers the webhooks API on the v1 router, and the delivery log under one webhook."""

from django.urls import re_path

from apps.integrations.api.views import WebhookDeliveryViewSet, WebhookSubscriptionViewSet

HOOK = r"(?P<webhook_id>[^/.]+)"  # any segment: the views answer 404 (JSON) for ids that are not there
PK = r"(?P<pk>[^/.]+)"


def register(router) -> None:
    router.register("webhooks", WebhookSubscriptionViewSet, basename="webhook")


urlpatterns = [
    re_path(
        rf"^webhooks/{HOOK}/deliveries/$",
        WebhookDeliveryViewSet.as_view({"get": "list"}),
        name="webhook-delivery-list",
    ),
    re_path(
        rf"^webhooks/{HOOK}/deliveries/{PK}/$",
        WebhookDeliveryViewSet.as_view({"get": "retrieve"}),
        name="webhook-delivery-detail",
    ),
    re_path(
        rf"^webhooks/{HOOK}/deliveries/{PK}/redeliver/$",
        WebhookDeliveryViewSet.as_view({"post": "redeliver"}),
        name="webhook-delivery-redeliver",
    ),
]
