"""API ViewSets for webhooks and their delivery log: deployment managers write (via services), auditors read;
writes are refused before the body is read (apps.core.api.permissions)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.core.api.permissions import May, WritePermission, manager_rules
from apps.integrations import selectors, services
from apps.integrations.api.serializers import WebhookDeliverySerializer, WebhookSubscriptionSerializer
from apps.integrations.models import WebhookDelivery, WebhookSubscription

CHANGE = "integrations.change_webhooksubscription"


@extend_schema_view(
    list=extend_schema(summary="List webhooks", tags=["webhooks"]),
    retrieve=extend_schema(summary="A webhook (the secret is never returned)", tags=["webhooks"]),
    create=extend_schema(summary="Create a webhook (deployment managers)", tags=["webhooks"]),
    update=extend_schema(summary="Replace a webhook (deployment managers)", tags=["webhooks"]),
    partial_update=extend_schema(summary="Change a webhook (deployment managers)", tags=["webhooks"]),
    destroy=extend_schema(summary="Delete a webhook (deployment managers)", tags=["webhooks"]),
)
class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """Signed outbound webhooks: each hears of the events it wants that its owner may see."""

    queryset = WebhookSubscription.objects.none()
    serializer_class = WebhookSubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules = manager_rules("integrations.webhooksubscription")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.subscription_list(user=self.request.user)

    def perform_create(self, serializer):
        serializer.instance = services.subscription_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.subscription_update(
            subscription=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.subscription_delete(subscription=instance, actor=self.request.user)


WEBHOOK_ID = OpenApiParameter("webhook_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The webhook's id.")
DELIVERY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delivery's id.")


@extend_schema_view(
    list=extend_schema(summary="A webhook's delivery log, newest first", tags=["webhooks"], parameters=[WEBHOOK_ID]),
    retrieve=extend_schema(summary="One delivery", tags=["webhooks"], parameters=[WEBHOOK_ID, DELIVERY_ID]),
)
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deliveries of one webhook: event, attempts, the receiver's answer, duration and state."""

    queryset = WebhookDelivery.objects.none()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules = {
        "redeliver": May(perm=CHANGE, message="Only deployment managers may redeliver webhooks."),
    }

    def _subscription(self) -> WebhookSubscription:
        try:
            return selectors.subscription_get(user=self.request.user, pk=self.kwargs["webhook_id"])
        except WebhookSubscription.DoesNotExist as exc:
            raise NotFound("No such webhook.") from exc

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.delivery_list(subscription=self._subscription())

    def get_object(self):
        try:
            obj = selectors.delivery_get(subscription=self._subscription(), pk=self.kwargs["pk"])
        except WebhookDelivery.DoesNotExist as exc:
            raise NotFound("No such delivery.") from exc
        self.check_object_permissions(self.request, obj)
        return obj

    @extend_schema(
        summary="Send a delivery again (same body, same delivery id; deployment managers)",
        tags=["webhooks"],
        request=None,
        responses={202: WebhookDeliverySerializer},
        parameters=[WEBHOOK_ID, DELIVERY_ID],
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, webhook_id=None, pk=None):
        again = services.delivery_redeliver(delivery=self.get_object(), actor=request.user)
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)
