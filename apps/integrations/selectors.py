"""Permission-aware reads of webhooks: the subscriptions a user may see and their delivery log."""

from django.db.models import Count, Q, QuerySet

from apps.core.permissions import user_can
from apps.integrations.models import DeliveryState, WebhookDelivery, WebhookSubscription

VIEW = "integrations.view_webhooksubscription"


def subscription_list(*, user) -> QuerySet[WebhookSubscription]:
    """Every subscription for deployment managers and auditors (by role); none for anyone else."""
    if not user_can(user, VIEW):
        return WebhookSubscription.objects.none()
    return (
        WebhookSubscription.objects.select_related("owner", "service", "environment")
        .annotate(
            delivery_count=Count("deliveries", distinct=True),
            failed_count=Count("deliveries", filter=Q(deliveries__state=DeliveryState.FAILED), distinct=True),
        )
        .order_by("name", "id")
    )


def subscription_get(*, user, pk) -> WebhookSubscription:
    """One subscription the user may see; WebhookSubscription.DoesNotExist (→ 404) otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise WebhookSubscription.DoesNotExist from None
    return subscription_list(user=user).get(pk=pk)


def delivery_list(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The delivery log of one subscription, newest first."""
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-id")


def delivery_get(*, subscription: WebhookSubscription, pk) -> WebhookDelivery:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise WebhookDelivery.DoesNotExist from None
    return delivery_list(subscription=subscription).get(pk=pk)
