"""The incidents attributed to a deployment: list and attribute them, resolve one (with the time) and withdraw one
(with a reason)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions

from apps.deployments.api.serializers.fields import parse_id
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

    def get_queryset(self):
        return IncidentLink.objects.none() if self.fake() else self.get_deployment().incidents.all()

    def perform_service(self, request, deployment, data):
        return incident_link_add(ctx=api_context(request), deployment=deployment, **data)


class _IncidentActionView(DeploymentActionView):
    """POST only, by the deployment's assigned practitioners and its managers (refused before the body is read)."""

    serializer_class = IncidentLinkSerializer
    queryset = IncidentLink.objects.none()
    write_rules = {"post": EXECUTORS}

    def target(self) -> IncidentLink:
        deployment = self.get_deployment()
        pk = parse_id(self.kwargs.get("incident_id", ""))
        link = deployment.incidents.filter(pk=pk).first() if pk is not None else None
        if link is None:
            raise exceptions.NotFound()
        return link


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

    def act(self, request, link, data):
        return IncidentLinkSerializer(incident_link_resolve(ctx=api_context(request), link=link, **data)).data


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

    def act(self, request, link, data):
        return IncidentLinkSerializer(incident_link_withdraw(ctx=api_context(request), link=link, **data)).data
