"""API of delegations of approval: list (managers all, a deputy theirs), create (managers, their own), revoke."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.context import API
from apps.core.api.permissions import May, WritePermission
from apps.people import selectors, services
from apps.people.api.serializers import DelegationSerializer
from apps.people.models import Delegation

MANAGERS_ONLY = May(perm=selectors.APPROVE_PERM, message=services.DELEGATION_REFUSAL)


@extend_schema_view(
    list=extend_schema(summary="List delegations of approval (managers: all; deputies: theirs)"),
    retrieve=extend_schema(summary="One delegation of approval"),
    create=extend_schema(summary="Delegate your approval to a deputy for a period and a scope (managers)"),
)
class DelegationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Delegations of approval; the deputy approves or rejects deployments in scope on the manager's behalf."""

    queryset = Delegation.objects.none()
    serializer_class = DelegationSerializer
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules = {"create": MANAGERS_ONLY, "revoke": MANAGERS_ONLY}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delegation.objects.none()
        return selectors.delegation_list(user=self.request.user).order_by("-starts_at", "-id")

    def perform_create(self, serializer):
        serializer.instance = services.delegation_create(
            channel=API, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=None, responses=DelegationSerializer, summary="Revoke a delegation now (managers)")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        delegation = services.delegation_revoke(channel=API, actor=request.user, delegation=self.get_object())
        return Response(self.get_serializer(delegation).data, status=status.HTTP_200_OK)
