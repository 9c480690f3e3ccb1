"""Model testing through the API: a deployment manager confirms a completed run under a model in pilot."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.permissions import May
from apps.deployments.api.serializers.deployments import DeploymentSerializer
from apps.deployments.api.serializers.fields import MAX_TEXT
from apps.deployments.api.views.common import DEPLOYMENT_ID, DeploymentActionView, api_context
from apps.deployments.models import Deployment
from apps.deployments.permissions import is_manager
from apps.deployments.services import deployment_pilot_confirm

REFUSED = "Only a deployment manager confirms a pilot run."


class PilotConfirmInputSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, default="", help_text="What the manager saw."
    )


@extend_schema(
    parameters=[DEPLOYMENT_ID],
    request=PilotConfirmInputSerializer,
    responses={200: DeploymentSerializer},
    summary="Confirm a pilot run (model testing)",
    description="A deployment manager confirms a completed deployment under a model in pilot; the model counts it "
    "towards its `pilot_runs_required`. 409 when the model is not in pilot, the deployment is not completed, it was "
    "confirmed already or the pilot was evaluated.",
    tags=["deployments"],
)
class PilotConfirmView(DeploymentActionView):
    serializer_class = DeploymentSerializer
    input_class = PilotConfirmInputSerializer
    queryset = Deployment.objects.none()
    write_rules = {"post": May(on=lambda user, deployment: is_manager(user), message=REFUSED)}  # hidden ones: 404

    def act(self, request, deployment, data):
        deployment = deployment_pilot_confirm(ctx=api_context(request), deployment=deployment, **data)
        fresh = Deployment.objects.prefetch_related("component_versions", "practitioners").get(pk=deployment.pk)
        return DeploymentSerializer(fresh, context=self.get_serializer_context()).data
