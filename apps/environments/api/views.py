"""API ViewSets for environments, their clearances and standing checks, and windows: everyone signed in reads,
deployment managers write (via services), refused before the body is read (apps.core.api.permissions)."""

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.response import Response

from apps.audit.context import API
from apps.core.api.permissions import May, WritePermission, manager_rules
from apps.environments import selectors, services
from apps.environments.api.serializers import (
    ClearanceSerializer,
    EnvironmentSerializer,
    FreezeWindowSerializer,
    MaintenanceWindowSerializer,
    StandingCheckSerializer,
)
from apps.environments.filters import EnvironmentFilterSet, FreezeWindowFilterSet, MaintenanceWindowFilterSet
from apps.environments.models import Clearance, Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow


class _BaseViewSet(viewsets.ModelViewSet):
    permission_classes = [permissions.IsAuthenticated, WritePermission]
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
    write_rules = manager_rules("environments.environment")

    def list_for(self, user):
        checks = Prefetch("standing_checks", queryset=EnvironmentCheck.objects.order_by("order", "id"))
        return selectors.environment_list(user=user).prefetch_related(checks)

    def perform_create(self, serializer):
        serializer.instance = services.environment_create(
            channel=API, actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.environment_update(
            channel=API, environment=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.environment_delete(channel=API, environment=instance, actor=self.request.user)


def _window_schema(tag: str, label: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {label}s", tags=[tag]),
        retrieve=extend_schema(summary=f"A {label}", tags=[tag]),
        create=extend_schema(summary=f"Create a {label} (deployment managers)", tags=[tag]),
        update=extend_schema(summary=f"Replace a {label} (deployment managers)", tags=[tag]),
        partial_update=extend_schema(summary=f"Change a {label} (deployment managers)", tags=[tag]),
        destroy=extend_schema(summary=f"Delete a {label} (deployment managers)", tags=[tag]),
    )


class _WindowViewSet(_BaseViewSet):
    """A freeze or maintenance window resource: its writes go through the window's services (`create_service`,
    `update_service`, `delete_service`)."""

    def perform_create(self, serializer):
        serializer.instance = self.create_service(channel=API, actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = self.update_service(
            channel=API, window=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        self.delete_service(channel=API, window=instance, actor=self.request.user)


@_window_schema("freeze-windows", "freeze window")
class FreezeWindowViewSet(_WindowViewSet):
    """Freeze windows: one-off (`start`–`end`) or recurring (`weekly`, `month_end`, `holidays`) in `time_zone`;
    `environment` null = every environment."""

    queryset = FreezeWindow.objects.none()
    serializer_class = FreezeWindowSerializer
    write_rules = manager_rules("environments.freezewindow")
    filterset_class = FreezeWindowFilterSet
    create_service = staticmethod(services.freeze_window_create)
    update_service = staticmethod(services.freeze_window_update)
    delete_service = staticmethod(services.freeze_window_delete)

    def list_for(self, user):
        return selectors.freeze_window_list(user=user)


@_window_schema("maintenance-windows", "maintenance window")
class MaintenanceWindowViewSet(_WindowViewSet):
    """Maintenance windows: when an environment that requires them accepts deployments."""

    queryset = MaintenanceWindow.objects.none()
    serializer_class = MaintenanceWindowSerializer
    write_rules = manager_rules("environments.maintenancewindow")
    filterset_class = MaintenanceWindowFilterSet
    create_service = staticmethod(services.maintenance_window_create)
    update_service = staticmethod(services.maintenance_window_update)
    delete_service = staticmethod(services.maintenance_window_delete)

    def list_for(self, user):
        return selectors.maintenance_window_list(user=user)


ENVIRONMENT_ID = OpenApiParameter(
    "environment_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The environment's id."
)


class _EnvironmentChildViewSet(viewsets.GenericViewSet):
    """Records under `environments/{environment_id}/`: the environment must exist (404 otherwise); writes are
    refused by role before the body is read, then go to the same services as the environment page."""

    permission_classes = [permissions.IsAuthenticated, WritePermission]
    filter_backends: list = []

    def get_environment(self) -> Environment:
        if not hasattr(self, "_environment"):
            raw = str(self.kwargs.get("environment_id", ""))
            environment = None
            if raw.isascii() and raw.isdigit() and len(raw) < 12:
                environment = selectors.environment_list(user=self.request.user).filter(pk=int(raw)).first()
            if environment is None:
                raise exceptions.NotFound("No such environment.")
            self._environment = environment
        return self._environment

    def get_object(self):
        raw = str(self.kwargs.get("pk", ""))
        if not (raw.isascii() and raw.isdigit() and len(raw) < 12):
            raise exceptions.NotFound()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(summary="Practitioners cleared for an environment", parameters=[ENVIRONMENT_ID]),
    retrieve=extend_schema(summary="One clearance", parameters=[ENVIRONMENT_ID]),
    create=extend_schema(
        summary="Clear a practitioner (deployment managers)",
        description="Clearing a user who is cleared already updates the reason and expiry.",
        parameters=[ENVIRONMENT_ID],
    ),
    destroy=extend_schema(summary="Withdraw a clearance (deployment managers)", parameters=[ENVIRONMENT_ID]),
)
class ClearanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    _EnvironmentChildViewSet,
):
    """Who may carry out deployments in an environment that needs a clearance (production): who cleared them,
    why, and until when."""

    queryset = Clearance.objects.none()
    serializer_class = ClearanceSerializer
    write_rules = {
        action: May(perm=services.CLEARANCE_PERM, message=services.CLEARANCE_REFUSAL)
        for action in ("create", "destroy")
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Clearance.objects.none()
        return selectors.clearance_list(environment=self.get_environment()).order_by("user__username", "id")

    def create(self, request, *args, **kwargs):
        environment = self.get_environment()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clearance = services.environment_clear_practitioner(
            channel=API, environment=environment, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(clearance).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.environment_unclear_practitioner(
            channel=API, environment=instance.environment, user=instance.user, actor=self.request.user
        )


@extend_schema_view(
    list=extend_schema(summary="An environment's standing checks", parameters=[ENVIRONMENT_ID]),
    retrieve=extend_schema(summary="One standing check", parameters=[ENVIRONMENT_ID]),
    create=extend_schema(summary="Add a standing check (deployment managers)", parameters=[ENVIRONMENT_ID]),
    update=extend_schema(summary="Replace a standing check (deployment managers)", parameters=[ENVIRONMENT_ID]),
    partial_update=extend_schema(
        summary="Change a standing check, e.g. switch it off with is_active (deployment managers)",
        parameters=[ENVIRONMENT_ID],
    ),
    destroy=extend_schema(summary="Remove a standing check (deployment managers)", parameters=[ENVIRONMENT_ID]),
)
class StandingCheckViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    _EnvironmentChildViewSet,
):
    """The checks every deployment into the environment must record before `confirm-environment`."""

    queryset = EnvironmentCheck.objects.none()
    serializer_class = StandingCheckSerializer
    write_rules = manager_rules("environments.environmentcheck")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EnvironmentCheck.objects.none()
        return self.get_environment().standing_checks.order_by("order", "id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        is_active = data.pop("is_active", True)
        check = services.environment_check_add(
            channel=API, environment=self.get_environment(), actor=self.request.user, **data
        )
        if not is_active:  # added switched off: one more change, as on the page
            check = services.environment_check_update(
                channel=API, check=check, actor=self.request.user, is_active=False
            )
        serializer.instance = check

    def perform_update(self, serializer):
        serializer.instance = services.environment_check_update(
            channel=API, check=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.environment_check_remove(channel=API, check=instance, actor=self.request.user)
