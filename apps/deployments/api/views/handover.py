"""The handover of a deployment to the service desk: `POST deployments/{id}/handover/` writes the note and its
knowledge links (while planned, during verification); `complete` takes them too."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from apps.core.api.permissions import May
from apps.deployments.api.serializers.deployments import DeploymentSerializer
from apps.deployments.api.serializers.fields import MAX_ID, MAX_TEXT, knowledge_links_field
from apps.deployments.api.views.common import DEPLOYMENT_ID, DeploymentActionView, api_context
from apps.deployments.models import Deployment
from apps.deployments.permissions import may_edit_ever, may_execute
from apps.deployments.services.handover import deployment_handover_set

HANDOVER_WRITERS = May(
    on=lambda user, d: may_execute(user, d) or may_edit_ever(user, d),
    message="Only the assigned practitioners and the deployment managers write the handover note.",
)


class HandoverInputSerializer(serializers.Serializer):
    """The handover note and its knowledge links; a part left out stays as it is."""

    handover_note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    knowledge_links = knowledge_links_field()
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="If given, refused with 409 when stale."
    )


@extend_schema(
    parameters=[DEPLOYMENT_ID],
    request=HandoverInputSerializer,
    responses={200: DeploymentSerializer},
    summary="Write the handover note for the service desk",
    description="The note and the knowledge articles it links (http(s) addresses). Written while the deployment is "
    "planned (by whoever may edit it) or during verification (by its practitioners and the managers); 409 "
    "`not_editable` otherwise, 409 `stale_version` with a stale `version`. A production deployment cannot complete "
    "without a note (409 `handover_required`); `complete` also takes `handover_note` and `knowledge_links`.",
    tags=["deployments"],
)
class HandoverView(DeploymentActionView):
    serializer_class = input_class = HandoverInputSerializer
    queryset = Deployment.objects.none()
    write_rules = {"post": HANDOVER_WRITERS}

    def act(self, request, deployment, data):
        deployment = deployment_handover_set(
            ctx=api_context(request),
            deployment=deployment,
            handover_note=data.get("handover_note"),
            knowledge_links=data.get("knowledge_links"),
            expected_version=data.get("version"),
        )
        return DeploymentSerializer(deployment).data
