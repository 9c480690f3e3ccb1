"""Registers the environments API resources on the v1 router, and the records under one environment."""

from django.urls import re_path

from apps.environments.api.views import (
    ClearanceViewSet,
    EnvironmentViewSet,
    FreezeWindowViewSet,
    MaintenanceWindowViewSet,
    StandingCheckViewSet,
)

ENV = r"(?P<environment_id>[^/.]+)"  # any segment: the views answer 404 (JSON) for ids that are not there
PK = r"(?P<pk>[^/.]+)"


def register(router) -> None:
    router.register("environments", EnvironmentViewSet, basename="environment")
    router.register("freeze-windows", FreezeWindowViewSet, basename="freeze-window")
    router.register("maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window")


urlpatterns = [
    re_path(
        rf"^environments/{ENV}/clearances/$",
        ClearanceViewSet.as_view({"get": "list", "post": "create"}),
        name="environment-clearance-list",
    ),
    re_path(
        rf"^environments/{ENV}/clearances/{PK}/$",
        ClearanceViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
        name="environment-clearance-detail",
    ),
    re_path(
        rf"^environments/{ENV}/standing-checks/$",
        StandingCheckViewSet.as_view({"get": "list", "post": "create"}),
        name="environment-standing-check-list",
    ),
    re_path(
        rf"^environments/{ENV}/standing-checks/{PK}/$",
        StandingCheckViewSet.as_view(
            {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}
        ),
        name="environment-standing-check-detail",
    ),
]
