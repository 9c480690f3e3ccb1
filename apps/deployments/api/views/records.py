"""A deployment's records in the API: its timeline, its checks (read, and record a result), its ratings and the
problems found."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response

from apps.core.api.permissions import May
from apps.deployments.api.serializers.records import (
    CheckRecordInputSerializer,
    CheckSerializer,
    DeploymentEventSerializer,
    FeedbackSerializer,
    ProblemSerializer,
)
from apps.deployments.api.views.common import (
    DEPLOYMENT_ID,
    EXECUTORS,
    DeploymentChildListCreateView,
    DeploymentChildMixin,
    DeploymentRecordsMixin,
    api_context,
    row_or_404,
)
from apps.deployments.models import Check, DeploymentEvent, DeploymentProblem, Feedback
from apps.deployments.permissions import may_rate, may_record_checks
from apps.deployments.selectors.page import deployment_checks, deployment_events
from apps.deployments.services import check_record, feedback_submit, problem_add

CHECK_ID = OpenApiParameter("check_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The check's id.")


@extend_schema(parameters=[DEPLOYMENT_ID], summary="A deployment's timeline (oldest first)", tags=["deployments"])
class DeploymentEventListView(DeploymentRecordsMixin, generics.ListAPIView):
    """Every transition, approval, check, comment and API call, with who, when, the channel and the token name."""

    serializer_class = DeploymentEventSerializer
    queryset = DeploymentEvent.objects.none()

    def records(self, deployment):
        return deployment_events(deployment=deployment)


@extend_schema(parameters=[DEPLOYMENT_ID], summary="A deployment's checks", tags=["deployments"])
class CheckListView(DeploymentRecordsMixin, generics.ListAPIView):
    """The entry-criteria, component, environment, acceptance and exit-criteria checks (made when the deployment is
    approved)."""

    serializer_class = CheckSerializer
    queryset = Check.objects.none()

    def records(self, deployment):
        return deployment_checks(deployment=deployment)


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID, CHECK_ID], summary="One check", tags=["deployments"]),
    patch=extend_schema(
        parameters=[DEPLOYMENT_ID, CHECK_ID],
        request=CheckRecordInputSerializer,
        responses={200: CheckSerializer},
        summary="Record a check's result",
        description="Assigned practitioners and deployment managers; the supplier's contacts its component, "
        "environment and acceptance checks. A required check passes only with "
        "`evidence`, and `n_a` needs its reason in `evidence` (400 otherwise). A component check passed with an "
        "`observed_checksum` that differs from the version's SHA-256 is recorded as failed.",
        tags=["deployments"],
    ),
)
class CheckDetailView(DeploymentChildMixin, generics.GenericAPIView):
    serializer_class = CheckSerializer
    queryset = Check.objects.none()
    http_method_names = ["get", "patch", "head", "options"]
    write_rules = {
        "patch": May(
            on=may_record_checks,
            message="Only the assigned practitioners, a deployment manager or the supplier's contacts record checks.",
        )
    }

    def get_check(self) -> Check:
        return row_or_404(self.kwargs.get("check_id", ""), lambda: deployment_checks(deployment=self.get_deployment()))

    def get(self, request, *args, **kwargs):
        return Response(CheckSerializer(self.get_check()).data)

    def patch(self, request, *args, **kwargs):
        check = self.get_check()
        serializer = CheckRecordInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        check = check_record(ctx=api_context(request), check=check, **serializer.validated_data)
        return Response(CheckSerializer(check).data)


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID], summary="Ratings of a deployment", tags=["deployments"]),
    post=extend_schema(
        parameters=[DEPLOYMENT_ID],
        summary="Rate a completed deployment",
        description="The requester and the service's owners, once each, 1–5 for lead time and quality.",
        tags=["deployments"],
    ),
)
class FeedbackListView(DeploymentChildListCreateView):
    serializer_class = FeedbackSerializer
    queryset = Feedback.objects.none()
    write_rules = {
        "post": May(on=may_rate, message="Only the requester and the owners of the service rate a deployment.")
    }

    service = staticmethod(feedback_submit)

    def records(self, deployment):
        return deployment.feedback.all()


@extend_schema_view(
    get=extend_schema(parameters=[DEPLOYMENT_ID], summary="Problems found during a deployment", tags=["deployments"]),
    post=extend_schema(parameters=[DEPLOYMENT_ID], summary="Record a problem", tags=["deployments"]),
)
class ProblemListView(DeploymentChildListCreateView):
    serializer_class = ProblemSerializer
    queryset = DeploymentProblem.objects.none()
    write_rules = {"post": EXECUTORS}

    service = staticmethod(problem_add)

    def records(self, deployment):
        return deployment.problems.all()
