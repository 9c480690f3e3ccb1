"""The REST API v1: one router; each app registers its resources in its api/urls.py."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from apps.accounts.api.views import MeView
from apps.audit.api import urls as audit_api
from apps.catalog.api import urls as catalog_api
from apps.deployment_models.api import urls as deployment_models_api
from apps.deployments.api import urls as deployments_api
from apps.environments.api import urls as environments_api
from apps.integrations.api import urls as integrations_api
from apps.people.api import urls as people_api
from apps.reports.api import urls as reports_api
from apps.reviews.api import urls as reviews_api

# Each domain app's api/urls.py defines `register(router)` for its ViewSets and may add `urlpatterns`;
# from the bottom layer up.
APP_APIS = [
    audit_api,
    environments_api,
    catalog_api,
    deployment_models_api,
    people_api,
    deployments_api,
    reviews_api,
    integrations_api,
    reports_api,
]

router = DefaultRouter()
extra = []
for module in APP_APIS:
    module.register(router)
    extra.extend(getattr(module, "urlpatterns", []))

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    *extra,
    *router.urls,  # in the list itself, not included: config.urls resolves them by first segment
]
