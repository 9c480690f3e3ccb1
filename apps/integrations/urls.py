"""URLs of the webhook pages."""

from django.urls import path

from apps.core.routes import resource_pages
from apps.integrations import views

app_name = "integrations"

urlpatterns = [
    *resource_pages(
        "webhooks",
        "webhook",
        list=views.WebhookListView,
        create=views.WebhookCreateView,
        update=views.WebhookUpdateView,
    ),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveriesView.as_view(), name="webhook_deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="webhook_redeliver",
    ),
]
