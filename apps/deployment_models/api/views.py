"""API ViewSets of deployment models, stages and responsibilities: reads through selectors, writes through services."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.context import API
from apps.core.api.permissions import May, WritePermission, by_permission, manager_rules
from apps.core.permissions import user_can
from apps.deployment_models import selectors, services
from apps.deployment_models.api.serializers import (
    DeploymentModelSerializer,
    ModelActivateInputSerializer,
    ModelEvaluateInputSerializer,
    ModelStageSerializer,
    ResponsibilitySerializer,
)
from apps.deployment_models.filters import DeploymentModelFilterSet, ModelStageFilterSet, ResponsibilityFilterSet
from apps.deployment_models.models import DeploymentModel, ModelStage, Responsibility


class CanViewModels(permissions.IsAuthenticated):
    """Reading needs the role's view permission; writing is decided (and refused with 403) by the services."""

    message = "Your roles do not include reading deployment models."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and user_can(
            request.user, "deployment_models.view_deploymentmodel"
        )


LIFECYCLE = by_permission("deployment_models.change_deploymentmodel")


class _Base(viewsets.GenericViewSet):
    permission_classes = [CanViewModels, WritePermission]
    filter_backends = [DjangoFilterBackend]


@extend_schema_view(
    list=extend_schema(summary="List deployment models (filter: status, automation_level, component_type, q)"),
    create=extend_schema(summary="Create a draft deployment model"),
    update=extend_schema(summary="Change a draft or pilot model (409 when active or retired)"),
    partial_update=extend_schema(summary="Change a draft or pilot model (409 when active or retired)"),
)
class DeploymentModelViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, _Base
):
    """Deployment models with their stages (read) and RACI rows; an active model is immutable."""

    queryset = DeploymentModel.objects.none()
    serializer_class = DeploymentModelSerializer
    filterset_class = DeploymentModelFilterSet
    write_rules = {
        **manager_rules("deployment_models.deploymentmodel", actions=("create", "update")),
        "new_version": May(perm="deployment_models.add_deploymentmodel", message=LIFECYCLE.message),
        "pilot": LIFECYCLE,
        "activate": LIFECYCLE,
        "evaluate": LIFECYCLE,
        "retire": LIFECYCLE,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DeploymentModel.objects.none()
        return selectors.model_list(user=self.request.user).prefetch_related("responsibilities")

    def perform_create(self, serializer):
        serializer.instance = services.model_create(channel=API, actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.model_update(
            channel=API, model=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def _lifecycle(self, request, service, status=200, **kwargs):
        model = self.get_object()
        result = service(model=model, actor=request.user, channel=API, **kwargs)
        result = self.get_queryset().get(pk=result.pk)
        return Response(self.get_serializer(result).data, status=status)

    @extend_schema(request=None, responses=DeploymentModelSerializer, summary="Draft → pilot (model testing)")
    @action(detail=True, methods=["post"])
    def pilot(self, request, pk=None):
        return self._lifecycle(request, services.model_pilot)

    @extend_schema(
        request=ModelActivateInputSerializer,
        responses=DeploymentModelSerializer,
        summary="Pilot → active once piloted and evaluated; retires the previously active version",
        description="409 naming what is missing (confirmed pilot runs, the evaluation, or a pilot at all) unless a "
        "deployment manager gives `override_reason`, which is recorded and counted as a compliance exception.",
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        self.get_object()  # 404 before the body is read
        serializer = ModelActivateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._lifecycle(request, services.model_activate, **serializer.validated_data)

    @extend_schema(
        request=ModelEvaluateInputSerializer,
        responses=DeploymentModelSerializer,
        summary="End a pilot with its evaluation (outcome, findings, decision)",
        description="409 while the pilot lacks confirmed runs (naming how many) or when the model is not in pilot. "
        "`revise` sends the model back to draft; `abandon` retires it; `activate` lets `activate/` succeed.",
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        self.get_object()
        serializer = ModelEvaluateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._lifecycle(request, services.model_evaluate, **serializer.validated_data)

    @extend_schema(
        request=None,
        responses={201: DeploymentModelSerializer},
        summary="Copy an active or retired model (stages, RACI) as a draft, version + 1",
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        return self._lifecycle(request, services.model_new_version, status=201)

    @extend_schema(request=None, responses=DeploymentModelSerializer, summary="Retire a model")
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._lifecycle(request, services.model_retire)


class ModelStageViewSet(viewsets.ModelViewSet, _Base):
    """Stages of the models' flows; changing one of an active model answers 409."""

    queryset = ModelStage.objects.none()
    serializer_class = ModelStageSerializer
    filterset_class = ModelStageFilterSet
    write_rules = manager_rules("deployment_models.modelstage")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ModelStage.objects.none()
        return selectors.stage_list(user=self.request.user).order_by("model_id", "order")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.stage_add(channel=API, model=data.pop("model"), actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("model", None)
        serializer.instance = services.stage_update(
            channel=API, stage=serializer.instance, actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.stage_remove(channel=API, stage=instance, actor=self.request.user)


class ResponsibilityViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, _Base
):
    """RACI rows of the models: activity × role × letter, one Accountable per activity."""

    queryset = Responsibility.objects.none()
    serializer_class = ResponsibilitySerializer
    filterset_class = ResponsibilityFilterSet
    write_rules = manager_rules("deployment_models.responsibility", actions=("create", "destroy"))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Responsibility.objects.none()
        return selectors.responsibility_list(user=self.request.user).order_by("model_id", "activity", "role")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.responsibility_add(
            channel=API, model=data.pop("model"), actor=self.request.user, **data
        )

    def perform_destroy(self, instance):
        services.responsibility_remove(channel=API, responsibility=instance, actor=self.request.user)
