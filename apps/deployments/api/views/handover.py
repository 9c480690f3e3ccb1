"""The handover of a deployment to the service desk: `POST deployments/{id}/handover/` writes the note and its
knowledge links (while planned, during verification); `complete` takes them too."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from apps.core.api.permissions import May
from apps.deployments.api.serializers import MAX_ID, MAX_TEXT, DeploymentSerializer, knowledge_links_field
from apps.deployments.api.views import DEPLOYMENT_ID, _ctx, _DeploymentChildMixin
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
class HandoverView(_DeploymentChildMixin, generics.GenericAPIView):
    serializer_class = HandoverInputSerializer
    queryset = Deployment.objects.none()
    http_method_names = ["post", "options"]
    write_rules = {"post": HANDOVER_WRITERS}
    pagination_class = None

    def post(self, request, *args, **kwargs):
        deployment = self.get_deployment()
        serializer = HandoverInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        deployment = deployment_handover_set(
            ctx=_ctx(request),
            deployment=deployment,
            handover_note=data.get("handover_note"),
            knowledge_links=data.get("knowledge_links"),
            expected_version=data.get("version"),
        )
        return Response(DeploymentSerializer(deployment).data)
