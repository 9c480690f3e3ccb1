"""The REST API v1: one router; each app registers its resources in its api/urls.py."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts.api.views import MeView

router = DefaultRouter()

API_APPS: list[str] = []

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *[path("", include(f"apps.{app}.api.urls")) for app in API_APPS],
    path("", include(router.urls)),
]
