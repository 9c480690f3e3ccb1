"""URLs of the webhook pages."""

from django.urls import path

from apps.integrations import views

app_name = "integrations"

urlpatterns = [
    path("webhooks/", views.WebhookListView.as_view(), name="webhook_list"),
    path("webhooks/new/", views.WebhookCreateView.as_view(), name="webhook_create"),
    path("webhooks/<int:pk>/edit/", views.WebhookUpdateView.as_view(), name="webhook_update"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveriesView.as_view(), name="webhook_deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="webhook_redeliver",
    ),
]
