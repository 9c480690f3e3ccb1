"""API ViewSets for environments and windows: everyone signed in reads, deployment managers write (via services)."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from apps.environments import selectors, services
from apps.environments.api.serializers import (
    EnvironmentSerializer,
    FreezeWindowSerializer,
    MaintenanceWindowSerializer,
)
from apps.environments.filters import EnvironmentFilterSet, FreezeWindowFilterSet, MaintenanceWindowFilterSet
from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow


class ManagerWrites(permissions.DjangoModelPermissions):
    """Reads for every signed-in user; add/change/delete need the model's global permission (managers)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": [], "OPTIONS": [], "HEAD": []}


class _BaseViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.IsAuthenticated, ManagerWrites]
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.list_for(self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List environments", tags=["environments"]),
    retrieve=extend_schema(summary="An environment with its standing checks", tags=["environments"]),
    create=extend_schema(summary="Create an environment (deployment managers)", tags=["environments"]),
    update=extend_schema(summary="Replace an environment (deployment managers)", tags=["environments"]),
    partial_update=extend_schema(summary="Change an environment (deployment managers)", tags=["environments"]),
    destroy=extend_schema(
        summary="Delete an environment without deployments (deployment managers)", tags=["environments"]
    ),
)
class EnvironmentViewSet(_BaseViewSet):
    """Environments deployments go into; `standing_checks` are the checks every deployment into one records."""

    queryset = Environment.objects.none()
    serializer_class = EnvironmentSerializer
    filterset_class = EnvironmentFilterSet

    def list_for(self, user):
        from django.db.models import Prefetch

        checks = Prefetch("standing_checks", queryset=EnvironmentCheck.objects.order_by("order", "id"))
        return selectors.environment_list(user=user).prefetch_related(checks)

    def perform_create(self, serializer):
        serializer.instance = services.environment_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.environment_update(
            environment=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.environment_delete(environment=instance, actor=self.request.user)


def _window_schema(tag: str, label: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {label}s", tags=[tag]),
        retrieve=extend_schema(summary=f"A {label}", tags=[tag]),
        create=extend_schema(summary=f"Create a {label} (deployment managers)", tags=[tag]),
        update=extend_schema(summary=f"Replace a {label} (deployment managers)", tags=[tag]),
        partial_update=extend_schema(summary=f"Change a {label} (deployment managers)", tags=[tag]),
        destroy=extend_schema(summary=f"Delete a {label} (deployment managers)", tags=[tag]),
    )


@_window_schema("freeze-windows", "freeze window")
class FreezeWindowViewSet(_BaseViewSet):
    """Freeze windows: one-off (`start`–`end`) or recurring (`weekly`, `month_end`, `holidays`) in `time_zone`;
    `environment` null = every environment."""

    queryset = FreezeWindow.objects.none()
    serializer_class = FreezeWindowSerializer
    filterset_class = FreezeWindowFilterSet

    def list_for(self, user):
        return selectors.freeze_window_list(user=user)

    def perform_create(self, serializer):
        serializer.instance = services.freeze_window_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.freeze_window_update(
            window=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.freeze_window_delete(window=instance, actor=self.request.user)


@_window_schema("maintenance-windows", "maintenance window")
class MaintenanceWindowViewSet(_BaseViewSet):
    """Maintenance windows: when an environment that requires them accepts deployments."""

    queryset = MaintenanceWindow.objects.none()
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet

    def list_for(self, user):
        return selectors.maintenance_window_list(user=user)

    def perform_create(self, serializer):
        serializer.instance = services.maintenance_window_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.maintenance_window_update(
            window=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.maintenance_window_delete(window=instance, actor=self.request.user)
