"""The API of a deployment's plan beside its status: the release to users and the step plan (DESIGN.md §5)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from apps.core.api.permissions import May
from apps.deployments.api.serializers.deployments import DeploymentSerializer
from apps.deployments.api.serializers.fields import MAX_TEXT, IdField, users
from apps.deployments.api.views.common import (
    DEPLOYMENT_ID,
    EXECUTORS,
    DeploymentActionView,
    DeploymentChildListCreateView,
    DeploymentChildMixin,
    api_context,
    row_or_404,
)
from apps.deployments.models import MAX_STEP_MINUTES, Deployment, DeploymentStep, StepStatus
from apps.deployments.permissions import may_release
from apps.deployments.selectors.page import deployment_steps
from apps.deployments.selectors.visibility import deployment_list
from apps.deployments.services import (
    deployment_release,
    step_add,
    step_record,
    step_remove,
    step_update,
    steps_reorder,
)
from apps.deployments.services.plans import MAX_STEPS

STEP_ID = OpenApiParameter("step_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The step's id.")
RELEASERS = May(on=may_release, message="Only a deployment manager or an assigned practitioner releases it.")


class DeploymentStepSerializer(serializers.ModelSerializer):
    """One step of the plan as clients read it."""

    class Meta:
        model = DeploymentStep
        fields = ["id", "order", "title", "owner", "expected_minutes", "status", "note", "done_at", "done_by"]
        read_only_fields = fields


class StepCreateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = IdField(scope=users, required=False, allow_null=True, help_text="The user who carries the step out.")
    expected_minutes = serializers.IntegerField(min_value=1, max_value=MAX_STEP_MINUTES, required=False)


class StepUpdateInputSerializer(serializers.Serializer):
    """Either the plan (`title`, `owner`, `expected_minutes`: before the deployment starts) or the tick-off
    (`status` with `note`: while it runs), not both."""

    title = serializers.CharField(max_length=200, required=False)
    owner = IdField(scope=users, required=False, allow_null=True)
    expected_minutes = serializers.IntegerField(min_value=1, max_value=MAX_STEP_MINUTES, required=False)
    status = serializers.ChoiceField(choices=StepStatus.choices, required=False)
    note = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, help_text="Required to skip a step: the reason."
    )

    def validate(self, attrs):
        plan = {"title", "owner", "expected_minutes"} & set(attrs)
        if "status" in attrs and plan:
            raise serializers.ValidationError({"status": "Tick a step off or change its plan, not both at once."})
        if "note" in attrs and "status" not in attrs:
            raise serializers.ValidationError({"note": "A note goes with a `status`."})
        if not attrs:
            raise serializers.ValidationError({"status": "Send a `status`, or the `title`, `owner` or minutes."})
        return attrs


class StepReorderInputSerializer(serializers.Serializer):
    steps = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        max_length=MAX_STEPS,
        allow_empty=False,
        help_text="Every step id of the plan, each once, in the new order.",
    )


class ReleaseInputSerializer(serializers.Serializer):
    release_ref = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="The release's reference; the one recorded at planning when left out (400 when neither).",
    )
    comment = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID], summary="A deployment's step plan (in order)", tags=["deployments"]),
    post=extend_schema(
        parameters=[DEPLOYMENT_ID],
        request=StepCreateInputSerializer,
        responses={201: DeploymentStepSerializer},
        summary="Add a step at the end of the plan",
        description="Assigned practitioners and deployment managers, before the deployment starts (409 after).",
        tags=["deployments"],
    ),
)
class StepListView(DeploymentChildListCreateView):
    serializer_class = DeploymentStepSerializer
    input_serializer_class = StepCreateInputSerializer
    queryset = DeploymentStep.objects.none()
    pagination_class = None  # a plan has at most MAX_STEPS steps
    write_rules = {"post": EXECUTORS}

    service = staticmethod(step_add)

    def records(self, deployment):
        return deployment_steps(deployment=deployment)


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID, STEP_ID], summary="One step", tags=["deployments"]),
    patch=extend_schema(
        parameters=[DEPLOYMENT_ID, STEP_ID],
        request=StepUpdateInputSerializer,
        responses={200: DeploymentStepSerializer},
        summary="Tick a step off, or change it",
        description="`status` `done`, `skipped` (with the reason in `note`) or `pending` while the deployment runs; "
        "`title`, `owner`, `expected_minutes` before it starts. 409 outside those times.",
        tags=["deployments"],
    ),
    delete=extend_schema(
        parameters=[DEPLOYMENT_ID, STEP_ID],
        summary="Take a step out of the plan",
        description="Before the deployment starts (409 after).",
        tags=["deployments"],
    ),
)
class StepDetailView(DeploymentChildMixin, generics.GenericAPIView):
    serializer_class = DeploymentStepSerializer
    queryset = DeploymentStep.objects.none()
    http_method_names = ["get", "patch", "delete", "head", "options"]
    write_rules = {"patch": EXECUTORS, "delete": EXECUTORS}
    pagination_class = None

    def get_step(self) -> DeploymentStep:
        deployment = self.get_deployment()
        return row_or_404(self.kwargs.get("step_id", ""), lambda: deployment_steps(deployment=deployment))

    def get(self, request, *args, **kwargs):
        return Response(DeploymentStepSerializer(self.get_step()).data)

    def patch(self, request, *args, **kwargs):
        step = self.get_step()
        serializer = StepUpdateInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "status" in data:
            step = step_record(ctx=api_context(request), step=step, status=data["status"], note=data.get("note", ""))
        else:
            clear_owner = "owner" in data and data["owner"] is None
            step = step_update(
                ctx=api_context(request),
                step=step,
                title=data.get("title"),
                owner=data.get("owner"),
                expected_minutes=data.get("expected_minutes"),
                clear_owner=clear_owner,
            )
        return Response(DeploymentStepSerializer(step).data)

    def delete(self, request, *args, **kwargs):
        step_remove(ctx=api_context(request), step=self.get_step())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    parameters=[DEPLOYMENT_ID],
    request=StepReorderInputSerializer,
    responses={200: DeploymentStepSerializer(many=True)},
    summary="Reorder the step plan",
    description="Every step id, each once, in the new order (400 otherwise); before the deployment starts.",
    tags=["deployments"],
)
class StepReorderView(DeploymentActionView):
    serializer_class = DeploymentStepSerializer
    input_class = StepReorderInputSerializer
    queryset = DeploymentStep.objects.none()
    write_rules = {"post": EXECUTORS}

    def act(self, request, deployment, data):
        steps = steps_reorder(ctx=api_context(request), deployment=deployment, step_ids=data["steps"])
        return DeploymentStepSerializer(steps, many=True).data


@extend_schema(
    parameters=[DEPLOYMENT_ID],
    request=ReleaseInputSerializer,
    responses={200: DeploymentSerializer},
    summary="Record the release of a completed deployment to its users",
    description="Sets `released_at`, `release_ref` and `released_by`; the status stays `completed`. Deployment "
    "managers and assigned practitioners (403 otherwise); 409 unless completed, or when already released.",
    tags=["deployments"],
)
class DeploymentReleaseView(DeploymentActionView):
    serializer_class = DeploymentSerializer
    input_class = ReleaseInputSerializer
    queryset = Deployment.objects.none()
    write_rules = {"post": RELEASERS}

    def act(self, request, deployment, data):
        deployment = deployment_release(ctx=api_context(request), deployment=deployment, **data)
        return DeploymentSerializer(deployment_list(user=request.user).get(pk=deployment.pk)).data
