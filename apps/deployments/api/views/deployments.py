"""The deployments resource of the API: list, read, plan (one or many), edit (with `version`), and the process
transitions as actions; there is no DELETE, a deployment is cancelled, never removed."""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.catalog.models import ComponentVersion
from apps.core.api.pagination import NewestFirstCursorPagination
from apps.core.api.permissions import May, WritePermission
from apps.deployments import workflow
from apps.deployments.api.filters import DeploymentApiFilterSet, DeploymentFilterBackend, verify_filters
from apps.deployments.api.pagination import RISK_ORDERINGS, RiskCursorPagination
from apps.deployments.api.serializers.deployments import (
    DeploymentBulkInputSerializer,
    DeploymentBulkSerializer,
    DeploymentCreateInputSerializer,
    DeploymentSerializer,
    DeploymentUpdateInputSerializer,
    TransitionInputSerializer,
)
from apps.deployments.api.serializers.fields import parse_id
from apps.deployments.api.views.common import api_context
from apps.deployments.models import Deployment
from apps.deployments.permissions import (
    clearance_gap,
    may_edit_ever,
    may_take,
    segregation_refuses,
    transition_refusal,
)
from apps.deployments.selectors.page import deployment_linked_ids
from apps.deployments.selectors.visibility import deployment_list
from apps.deployments.selectors.work import remembered_deployments
from apps.deployments.services import (
    BULK_LIMIT,
    ItemInvalid,
    bulk_idempotency_keys,
    deployment_register,
    deployment_register_many,
    deployment_transition,
    deployment_update,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Retrying a POST with the same key returns the deployment the first one created (200).",
)


LIST_COLUMNS = tuple(f.attname for f in Deployment._meta.concrete_fields)


@functools.cache
def _list_values() -> QuerySet:
    """Every deployment as values() of its columns, built once per process: each list clones it (resolving its
    forty column names on every request took longer than PostgreSQL took to read the page)."""
    return Deployment.objects.values(*LIST_COLUMNS)


class DeploymentRow:
    """One deployment of an API list, read by values(): its columns as attributes (all that the serializer's
    readers and deployment_linked_ids read), without making a model instance of some fifty fields for each row."""

    def __init__(self, values: dict):
        self.__dict__ = values

    @property
    def pk(self) -> int:
        return self.id


def _idempotency_key(request, *, limit: int) -> str:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > limit:
        raise exceptions.ValidationError({"Idempotency-Key": [f"At most {limit} characters."]})
    return key


def _may_take(name: str) -> May:
    spec = workflow.TRANSITIONS[name]
    label = spec.label.lower()

    def rule(user, deployment: Deployment) -> bool:
        if may_take(user, deployment, name):
            return True
        # segregation of duties and a missing or expired clearance are refused with their own reason
        if segregation_refuses(user, deployment, spec) or (
            workflow.PRACTITIONER in spec.actors and clearance_gap(user, deployment)
        ):
            raise DjangoPermissionDenied(transition_refusal(user, deployment, spec))
        return False

    return May(on=rule, message=f"You may not {label} this deployment.")


REQUESTERS = May(perm="deployments.add_deployment", message="Your roles do not include requesting deployments.")


def _transition_action(name: str):
    spec = workflow.TRANSITIONS[name]
    sources = ", ".join(spec.sources)

    def handler(self, request, pk=None):
        return self.take_transition(request, name)

    handler.__name__ = name.replace("-", "_")
    handler.__doc__ = f"{spec.label}: {sources} → {spec.target}."
    handler = extend_schema(
        request=TransitionInputSerializer,
        responses={200: DeploymentSerializer},
        summary=f"{spec.label} ({sources} → {spec.target})",
        description=(
            f"Takes the `{name}` transition and returns the deployment. "
            + ("A `comment` saying why is required. " if spec.needs_comment else "")
            + "Refused with 403 when you may not take it (segregation of duties included), 409 when the deployment "
            "is not in a source state, its `version` is stale, or a conflict, freeze, promotion gate or unpassed "
            "check stands in the way and no deployment manager overrode it with `override_reason`."
        ),
        operation_id=f"deployments_{name.replace('-', '_')}",
        tags=["deployments"],
    )(handler)
    return action(detail=True, methods=["post"], url_path=name, url_name=name)(handler)


ORDERING = OpenApiParameter(
    "ordering",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    enum=list(RISK_ORDERINGS),
    description="`-risk_score`: highest risk first; `risk_score`: lowest first (ties by id). Default: newest first.",
)


@extend_schema_view(
    list=extend_schema(
        summary="The deployments you may see",
        description="Filtered like the register; cursor-paginated newest first, or by risk score with `ordering` "
        "(follow `next`).",
        parameters=[ORDERING],
    ),
    retrieve=extend_schema(
        summary="One deployment",
        description="A pipeline waiting for approval polls this until `status` is `approved`.",
    ),
)
class DeploymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Deployments: list, read, create, edit (with `version`) and the process transitions as actions.
    There is no DELETE: a deployment is cancelled, never removed."""

    queryset = Deployment.objects.none()
    serializer_class = DeploymentSerializer
    pagination_class = NewestFirstCursorPagination
    filterset_class = DeploymentApiFilterSet
    filter_backends = [DeploymentFilterBackend]
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules = {
        "create": REQUESTERS,
        "bulk": REQUESTERS,
        "update": May(on=may_edit_ever, message="You may not edit this deployment."),
        **{t.name.replace("-", "_"): _may_take(t.name) for t in workflow.people_transitions()},
    }

    @property
    def paginator(self):
        """Newest first, or keyset pages by risk score when the list asks for `ordering=(-)risk_score`."""
        if not hasattr(self, "_paginator"):
            ordering = self.request.query_params.get("ordering", "") if self.action == "list" else ""
            if ordering and ordering not in RISK_ORDERINGS:
                raise exceptions.ValidationError({"ordering": [f"One of {', '.join(RISK_ORDERINGS)}."]})
            self._paginator = RiskCursorPagination(ordering) if ordering else self.pagination_class()
        return self._paginator

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Deployment.objects.none()
        # the API shows related ids only: no joins, and the many-to-many values read as ids (by `list` after paging)
        if self.action == "list":  # rows as values(), made into DeploymentRow objects once paged (see `list`)
            return deployment_list(user=self.request.user, base=_list_values(), join=False)
        return deployment_list(user=self.request.user, join=False).prefetch_related(
            Prefetch("component_versions", queryset=ComponentVersion.objects.only("id")),
            Prefetch("practitioners", queryset=get_user_model().objects.only("id")),
        )

    def get_object(self) -> Deployment:
        pk = parse_id(self.kwargs.get(self.lookup_field, ""))  # ids are ASCII digits only, everywhere
        if pk is None:
            raise exceptions.NotFound()
        self.kwargs[self.lookup_field] = pk
        return super().get_object()

    def _fresh(self, pk: int) -> Deployment:
        return self.get_queryset().get(pk=pk)

    def _respond(
        self, deployment: Deployment, code: int = status.HTTP_200_OK, headers=None, *, reread: bool = True
    ) -> Response:
        instance = self._fresh(deployment.pk) if reread else deployment
        data = DeploymentSerializer(instance, context=self.get_serializer_context()).data
        return Response(data, status=code, headers=headers)

    @extend_schema(
        request=DeploymentCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: DeploymentSerializer,
            200: OpenApiResponse(DeploymentSerializer, description="A retry with a known `Idempotency-Key`."),
        },
        summary="Plan a deployment (a draft)",
        description=(
            "Related ids must be ones you may see (otherwise 400). A pipeline may name its build with `component` "
            "+ `version` + `repository_ref` + `checksum` instead of `component_versions`: the version is registered "
            "if it is new. With an `Idempotency-Key` header a retried POST answers 200 with the same deployment."
        ),
    )
    def create(self, request, *args, **kwargs):
        key = _idempotency_key(request, limit=200)
        if key and (remembered := remembered_deployments(user=request.user, keys=[key])):
            return self._respond(remembered[0])  # a retry: re-read, as the user may see it now
        serializer = DeploymentCreateInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        deployment = deployment_register(ctx=api_context(request), data=serializer.validated_data, idempotency_key=key)
        location = reverse("deployment-detail", kwargs={"pk": deployment.pk})
        # a deployment just planned is answered as written (its relations kept by the service); a replay is re-read
        just_planned = "component_versions" in getattr(deployment, "_prefetched_objects_cache", {})
        return self._respond(
            deployment, status.HTTP_201_CREATED, headers={"Location": location}, reread=not just_planned
        )

    @extend_schema(
        request=DeploymentBulkInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: DeploymentBulkSerializer,
            200: OpenApiResponse(DeploymentBulkSerializer, description="A retry with a known `Idempotency-Key`."),
        },
        summary="Plan several deployments in one call",
        description=(
            f"1 to {BULK_LIMIT} deployments, each as for `POST deployments/`, planned all or none: a refused item "
            "rolls the call back and its errors are at its position in `errors.deployments`. With an "
            "`Idempotency-Key` (at most 196 characters) a retried call answers 200 with the same deployments."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        key = _idempotency_key(request, limit=196)
        if key and (remembered := remembered_deployments(user=request.user, keys=bulk_idempotency_keys(key))):
            found = self.get_queryset().in_bulk([d.pk for d in remembered])  # a retry: re-read, as the user may see
            return self._respond_many([found[d.pk] for d in remembered if d.pk in found], status.HTTP_200_OK)
        serializer = DeploymentBulkInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data["deployments"]
        try:
            deployments = deployment_register_many(ctx=api_context(request), items=items, idempotency_key=key)
        except ItemInvalid as exc:
            raise exceptions.ValidationError({"deployments": {str(exc.index): exc.errors}}) from exc
        return self._respond_many(deployments, status.HTTP_201_CREATED)

    def _respond_many(self, deployments: list[Deployment], code: int) -> Response:
        data = DeploymentBulkSerializer({"deployments": deployments}, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        request=DeploymentUpdateInputSerializer,
        responses={200: DeploymentSerializer},
        summary="Edit a deployment",
        description="Send the `version` you read: missing → 400, stale → 409. Changing the window, environment or "
        "component versions of an approved deployment sends it back for approval.",
    )
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(
        request=DeploymentUpdateInputSerializer,
        responses={200: DeploymentSerializer},
        summary="Replace a deployment's editable fields",
        description="Like PATCH, but `title`, `service` and `environment` are required. Send the `version` you read.",
    )
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    def _update(self, request, *, partial: bool) -> Response:
        deployment = self.get_object()
        serializer = DeploymentUpdateInputSerializer(
            deployment, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "version" not in data:
            raise exceptions.ValidationError({"version": ["Send the `version` of the deployment you read."]})
        expected = data.pop("version")
        deployment = deployment_update(
            ctx=api_context(request), deployment=deployment, data=data, expected_version=expected
        )
        return self._respond(deployment)

    def take_transition(self, request, name: str) -> Response:
        deployment = self.get_object()
        serializer = TransitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deployment = deployment_transition(
            ctx=api_context(request),
            deployment=deployment,
            transition=name,
            comment=serializer.validated_data["comment"],
            override_reason=serializer.validated_data["override_reason"],
            expected_version=serializer.validated_data.get("version"),
            handover_note=serializer.validated_data.get("handover_note"),
            knowledge_links=serializer.validated_data.get("knowledge_links"),
        )
        return self._respond(deployment)

    # last in the class: a method named `list` would shadow the builtin in the annotations after it
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        try:
            page = [DeploymentRow(values) for values in self.paginate_queryset(queryset)]
        except exceptions.ValidationError:
            verify_filters(self)  # an unknown related id is the first error, as when it was looked up first
            raise
        if not page:  # a row found proves the related ids it was filtered by exist; none found proves nothing
            verify_filters(self)
        deployment_linked_ids(deployments=page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


for _spec in workflow.people_transitions():
    setattr(DeploymentViewSet, _spec.name.replace("-", "_"), _transition_action(_spec.name))
