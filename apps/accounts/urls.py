"""URLs of one's own account."""

from django.urls import path

from apps.accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("notifications/", views.NotificationPreferencesView.as_view(), name="notifications"),
    path("tokens/", views.ApiTokenCreateView.as_view(), name="token_create"),
    path("tokens/<int:pk>/revoke/", views.ApiTokenRevokeView.as_view(), name="token_revoke"),
]
