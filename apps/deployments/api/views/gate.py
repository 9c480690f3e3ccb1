"""The gate API for pipelines (DESIGN.md §5): may a deployment, or a build not yet planned, start now — and why not."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.catalog.models import ComponentVersion
from apps.catalog.selectors import component_list
from apps.deployment_models.models import DeploymentModel
from apps.deployment_models.selectors import models_applicable, stage_for
from apps.deployments.api.serializers.fields import parse_id
from apps.deployments.gate import CODES, build_gate, deployment_gate
from apps.deployments.selectors.visibility import deployment_list
from apps.environments.selectors import environment_list


class GateReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=CODES)
    detail = serializers.CharField()


class DeploymentGateSerializer(serializers.Serializer):
    may_start = serializers.BooleanField()
    reasons = GateReasonSerializer(many=True)


class BuildGateSerializer(DeploymentGateSerializer):
    may_plan = serializers.BooleanField()


class BuildGateQuerySerializer(serializers.Serializer):
    environment = serializers.CharField(max_length=100, help_text="The environment's id or slug.")
    component = serializers.CharField(max_length=150, help_text="The component's id, or its name.")
    version = serializers.CharField(max_length=100, help_text="The build's version string (registered or not).")
    service = serializers.CharField(
        max_length=150, required=False, help_text="The service's id or name, when the component's name is not unique."
    )
    model = serializers.CharField(
        max_length=150, required=False, help_text="The deployment model's id or name, when several apply."
    )


class DeploymentGateView(APIView):
    """GET deployments/{id}/gate/: may the deployment start now, and every reason why not."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The deployment's id.")],
        responses={200: DeploymentGateSerializer},
        summary="May this deployment start now?",
        description=(
            "`may_start` is true when `POST …/start/` by you would be accepted now without an override. Otherwise "
            "`reasons` lists every obstacle with a code: `not_approved`, `freeze`, `outside_maintenance_window`, "
            "`promotion_gap`, `conflict` (what approval refuses) or `clearance` (you may not start it)."
        ),
        tags=["deployments"],
    )
    def get(self, request, pk=None):
        deployment_id = parse_id(pk)
        if deployment_id is None:
            raise exceptions.NotFound()
        deployment = (
            deployment_list(user=request.user)
            .select_related("environment", "stage", "model", "service")
            .filter(pk=deployment_id)
            .first()
        )
        if deployment is None:
            raise exceptions.NotFound()
        return Response(_answer(deployment_gate(deployment=deployment, user=request.user)))


class BuildGateView(APIView):
    """GET gate/?environment=&component=&version=: may this build be planned, and started now, in the environment."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[BuildGateQuerySerializer],
        responses={200: BuildGateSerializer},
        summary="May this build be planned and started now?",
        description=(
            "For a registered component version that has no deployment yet. `may_plan`: you may request deployments "
            "for its service. `may_start`: planned now, it would start at once — its model stage is pre-approved and "
            "nothing in `reasons` (codes as for `deployments/{id}/gate/`) stands in the way. The model is the one "
            "active or pilot model covering the component with a stage in the environment (name it with `model` when "
            "several do). A version not registered yet is judged as a new build. Unknown environment or component: 404."
        ),
        tags=["deployments"],
    )
    def get(self, request):
        query = BuildGateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        user = request.user
        environment = _one(environment_list(user=user), data["environment"], "slug", "environment")
        components = component_list(user=user)
        if data.get("service"):
            service_id = parse_id(data["service"])
            named = {"service_id": service_id} if service_id else {"service__name": data["service"]}
            components = components.filter(**named)
        component = _one(components, data["component"], "name", "component")
        version = (
            ComponentVersion.objects.select_related("component__service")
            .filter(component=component, version=data["version"])
            .first()
        )
        if version is None:  # a build not registered yet: judged as a new version (it has been deployed nowhere)
            version = ComponentVersion(component=component, version=data["version"])
        model = _model(data.get("model"), component, environment)
        stage = stage_for(model=model, environment=environment) if model is not None else None
        gate = build_gate(user=user, environment=environment, version=version, model=model, stage=stage)
        return Response({"may_plan": gate.may_plan, **_answer(gate)})


def _answer(gate) -> dict:
    return {"may_start": gate.may_start, "reasons": [{"code": r.code, "detail": r.detail} for r in gate.reasons]}


def _one(queryset, value: str, field: str, what: str):
    """The one row whose id or `field` is `value`: 404 when none, 400 when the name is ambiguous."""
    pk = parse_id(value)
    rows = list(queryset.filter(pk=pk)[:2] if pk is not None else queryset.filter(**{field: value})[:2])
    if not rows:
        raise exceptions.NotFound(f"No {what} “{value}”.")
    if len(rows) > 1:
        raise exceptions.ValidationError({what: [f"Several {what}s are called “{value}”: give its id."]})
    return rows[0]


def _model(value: str | None, component, environment) -> DeploymentModel | None:
    """The model named, or the one applicable model with a stage in the environment (None when no model applies)."""
    applicable = models_applicable(component_type=component.type, source=component.source).filter(
        stages__environment=environment
    )
    if value:
        return _one(applicable.distinct(), value, "name", "model")
    candidates = list(applicable.distinct()[:2])
    if len(candidates) > 1:
        raise exceptions.ValidationError({"model": ["Several deployment models apply here: name one with `model`."]})
    return candidates[0] if candidates else None
