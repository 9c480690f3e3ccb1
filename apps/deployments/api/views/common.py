"""What the deployments API's views share: the deployment id parameter, the API's context for the services, who
carries a deployment out, and the bases of the views under `deployments/{id}/`."""

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, generics, permissions, status
from rest_framework.response import Response

from apps.core.api.pagination import OldestFirstCursorPagination
from apps.core.api.permissions import May, WritePermission
from apps.deployments.api.serializers.fields import parse_id
from apps.deployments.models import Channel, Deployment
from apps.deployments.permissions import may_execute
from apps.deployments.selectors.visibility import deployment_list
from apps.deployments.services import Context

DEPLOYMENT_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The deployment's id.")
EXECUTORS = May(on=may_execute, message="Only the assigned practitioners or a deployment manager may do this.")


def api_context(request) -> Context:
    """Who calls a service from the API, and through which channel."""
    return Context.from_request(request, channel=Channel.API)


def row_or_404(raw_id, rows: Callable[[], QuerySet]):
    """The row whose id is `raw_id` among `rows()`: a 404 when the id is malformed (before `rows` is asked) or when it
    names none of them."""
    pk = parse_id(raw_id)
    row = rows().filter(pk=pk).first() if pk is not None else None
    if row is None:
        raise exceptions.NotFound()
    return row


class DeploymentChildMixin:
    """Views under `deployments/{pk}/`: the deployment must be one the user may see (404 otherwise)."""

    filter_backends: list = []
    pagination_class = OldestFirstCursorPagination
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules: dict[str, May] = {}

    def get_deployment(self) -> Deployment:
        if not hasattr(self, "_deployment"):
            pk = parse_id(self.kwargs.get("pk", ""))
            if pk is None:
                raise exceptions.NotFound()
            try:
                self._deployment = deployment_list(user=self.request.user).get(pk=pk)
            except Deployment.DoesNotExist as exc:
                raise exceptions.NotFound() from exc
            self.check_object_permissions(self.request, self._deployment)  # writes: refused before the body
        return self._deployment

    def fake(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


# Lists the deployment's records that `records(deployment)` gives (none while the API schema is generated). No
# docstring here or below: the API schema describes the views that have none of their own by DeploymentChildMixin's.
class DeploymentRecordsMixin(DeploymentChildMixin):
    def get_queryset(self):
        return self.queryset.none() if self.fake() else self.records(self.get_deployment())


# A deployment's records of one kind: GET lists them, POST adds one with `service(ctx=, deployment=, **data)` and
# answers 201 with it; the body is read by `input_serializer_class` where its shape is not the record's.
class DeploymentChildListCreateView(DeploymentRecordsMixin, generics.ListCreateAPIView):
    input_serializer_class = None

    def create(self, request, *args, **kwargs):
        deployment = self.get_deployment()
        input_class = self.input_serializer_class or self.get_serializer_class()
        serializer = input_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        obj = self.service(ctx=api_context(request), deployment=deployment, **serializer.validated_data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)


class DeploymentActionView(DeploymentChildMixin, generics.GenericAPIView):
    """One POST action on a deployment, or on one of its records: `target()` finds what it is on (404 first), the
    body is read by `input_class`, and `act(request, target, data)` calls the service and gives the 200 answer."""

    http_method_names = ["post", "options"]
    pagination_class = None

    def target(self):
        return self.get_deployment()

    def post(self, request, *args, **kwargs):
        target = self.target()
        serializer = self.input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(self.act(request, target, dict(serializer.validated_data)))
