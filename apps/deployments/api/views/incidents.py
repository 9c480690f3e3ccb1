"""The incidents attributed to a deployment: list and attribute them, resolve one (with the time) and withdraw one
(with a reason)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view

from apps.deployments.api.serializers.records import (
    IncidentLinkSerializer,
    IncidentResolveInputSerializer,
    IncidentWithdrawInputSerializer,
)
from apps.deployments.api.views.common import (
    DEPLOYMENT_ID,
    EXECUTORS,
    DeploymentActionView,
    DeploymentChildListCreateView,
    api_context,
    row_or_404,
)
from apps.deployments.models import IncidentLink
from apps.deployments.services import incident_link_add, incident_link_resolve, incident_link_withdraw

INCIDENT_ID = OpenApiParameter(
    "incident_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident link's id."
)


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID], summary="Incidents attributed to a deployment", tags=["deployments"]),
    post=extend_schema(parameters=[DEPLOYMENT_ID], summary="Attribute an incident", tags=["deployments"]),
)
class IncidentLinkListView(DeploymentChildListCreateView):
    serializer_class = IncidentLinkSerializer
    queryset = IncidentLink.objects.none()
    write_rules = {"post": EXECUTORS}

    service = staticmethod(incident_link_add)

    def records(self, deployment):
        return deployment.incidents.all()


class _IncidentActionView(DeploymentActionView):
    """POST only, by the deployment's assigned practitioners and its managers (refused before the body is read)."""

    serializer_class = IncidentLinkSerializer
    queryset = IncidentLink.objects.none()
    write_rules = {"post": EXECUTORS}

    def target(self) -> IncidentLink:
        deployment = self.get_deployment()
        return row_or_404(self.kwargs.get("incident_id", ""), deployment.incidents.all)

    def act(self, request, link, data):
        return IncidentLinkSerializer(self.service(ctx=api_context(request), link=link, **data)).data


@extend_schema(
    parameters=[DEPLOYMENT_ID, INCIDENT_ID],
    request=IncidentResolveInputSerializer,
    responses={200: IncidentLinkSerializer},
    summary="Mark an attributed incident resolved",
    description="With `resolved_at` (when the service was restored; now when left out). Refused with 409 when it is "
    "already resolved or withdrawn, 400 for a time before it was opened or in the future.",
    tags=["deployments"],
)
class IncidentResolveView(_IncidentActionView):
    input_class = IncidentResolveInputSerializer
    service = staticmethod(incident_link_resolve)


@extend_schema(
    parameters=[DEPLOYMENT_ID, INCIDENT_ID],
    request=IncidentWithdrawInputSerializer,
    responses={200: IncidentLinkSerializer},
    summary="Withdraw an incident linked by mistake",
    description="With a `reason`. The link stays on the record and every count leaves it out; 409 when it is "
    "already withdrawn.",
    tags=["deployments"],
)
class IncidentWithdrawView(_IncidentActionView):
    input_class = IncidentWithdrawInputSerializer
    service = staticmethod(incident_link_withdraw)
