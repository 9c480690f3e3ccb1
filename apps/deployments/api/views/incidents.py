"""The actions on one incident link of a deployment: resolve (with the time) and withdraw (with a reason)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics
from rest_framework.response import Response

from apps.deployments.api.serializers import (
    IncidentLinkSerializer,
    IncidentResolveInputSerializer,
    IncidentWithdrawInputSerializer,
    parse_id,
)
from apps.deployments.api.views import DEPLOYMENT_ID, EXECUTORS, _ctx, _DeploymentChildMixin
from apps.deployments.models import IncidentLink
from apps.deployments.services import incident_link_resolve, incident_link_withdraw

INCIDENT_ID = OpenApiParameter(
    "incident_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The incident link's id."
)


class _IncidentActionView(_DeploymentChildMixin, generics.GenericAPIView):
    """POST only, by the deployment's assigned practitioners and its managers (refused before the body is read)."""

    serializer_class = IncidentLinkSerializer
    queryset = IncidentLink.objects.none()
    http_method_names = ["post", "options"]
    write_rules = {"post": EXECUTORS}
    pagination_class = None

    def get_link(self) -> IncidentLink:
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
    def post(self, request, *args, **kwargs):
        link = self.get_link()
        serializer = IncidentResolveInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = incident_link_resolve(ctx=_ctx(request), link=link, **serializer.validated_data)
        return Response(IncidentLinkSerializer(link).data)


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
    def post(self, request, *args, **kwargs):
        link = self.get_link()
        serializer = IncidentWithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = incident_link_withdraw(ctx=_ctx(request), link=link, **serializer.validated_data)
        return Response(IncidentLinkSerializer(link).data)
