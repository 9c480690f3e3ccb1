"""The REST API v1: one router; each app registers its resources in its api/urls.py."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts.api.views import MeView
from apps.core.registry import app_modules

# Each domain app's api/urls.py defines `register(router)` for its ViewSets and may add `urlpatterns`.
router = DefaultRouter()
extra = []
for module in app_modules("api.urls"):
    module.register(router)
    extra.extend(getattr(module, "urlpatterns", []))

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *extra,
    path("", include(router.urls)),
]
