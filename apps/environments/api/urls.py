"""Registers the environments API resources on the v1 router."""

from apps.environments.api.views import EnvironmentViewSet, FreezeWindowViewSet, MaintenanceWindowViewSet


def register(router) -> None:
    router.register("environments", EnvironmentViewSet, basename="environment")
    router.register("freeze-windows", FreezeWindowViewSet, basename="freeze-window")
    router.register("maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window")
