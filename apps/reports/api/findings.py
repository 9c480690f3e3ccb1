"""`/api/v1/audit-findings/` (DESIGN.md §5): list, retrieve and raise findings; `POST …/{id}/change-status/` moves
one with a reason. The same selectors and services as the pages."""

from django.contrib.auth import get_user_model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit.context import API, AuditContext
from apps.core.api.permissions import May, WritePermission
from apps.reports.findings import selectors, services
from apps.reports.findings.filters import AuditFindingFilterSet
from apps.reports.findings.workflow import ADD, may_change_status
from apps.reports.models import AuditFinding, FindingEvent, FindingStatus, SubjectType

MAX_ID = 2**63 - 1


class FindingEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = FindingEvent
        fields = ["id", "at", "actor", "channel", "from_status", "to_status", "reason"]
        read_only_fields = fields


class AuditFindingSerializer(serializers.ModelSerializer):
    subject_type = serializers.ChoiceField(choices=SubjectType.choices)
    subject_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The deployment's, model's or review's id."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), help_text="The user who is to remedy it (id)."
    )
    reference = serializers.CharField(read_only=True)

    class Meta:
        model = AuditFinding
        fields = [
            "id",
            "reference",
            "subject_type",
            "subject_id",
            "severity",
            "title",
            "description",
            "owner",
            "due_date",
            "status",
            "raised_by",
            "raised_at",
        ]
        read_only_fields = ["status", "raised_by", "raised_at"]


class AuditFindingDetailSerializer(AuditFindingSerializer):
    history = FindingEventSerializer(many=True, read_only=True, source="events")

    class Meta(AuditFindingSerializer.Meta):
        fields = [*AuditFindingSerializer.Meta.fields, "history"]


class FindingStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=FindingStatus.choices)
    reason = serializers.CharField(max_length=services.MAX_REASON, help_text="Why; kept in the finding's history.")


class AuditFindingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Audit findings: auditors and managers read and raise them; managers and the owner change their status."""

    serializer_class = AuditFindingSerializer
    permission_classes = [permissions.IsAuthenticated, WritePermission]
    write_rules = {
        "create": May(perm=ADD, message="Only auditors and deployment managers may raise audit findings."),
        "change_status": May(
            on=may_change_status, message="Only deployment managers and the finding's owner may change its status."
        ),
    }
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditFindingFilterSet
    queryset = AuditFinding.objects.none()
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuditFinding.objects.none()
        return selectors.finding_list(user=self.request.user)

    def get_serializer_class(self):
        return AuditFindingDetailSerializer if self.action == "retrieve" else AuditFindingSerializer

    def get_object(self):
        finding = selectors.finding_get(user=self.request.user, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, finding)
        return finding

    def perform_create(self, serializer):
        serializer.instance = services.finding_create(
            ctx=AuditContext.from_request(self.request, channel=API), **serializer.validated_data
        )

    @extend_schema(request=FindingStatusInputSerializer, responses=AuditFindingDetailSerializer)
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        finding = self.get_object()
        data = FindingStatusInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_change_status(
            ctx=AuditContext.from_request(request, channel=API), finding=finding, **data.validated_data
        )
        finding = selectors.finding_get(user=request.user, pk=finding.pk)
        return Response(AuditFindingDetailSerializer(finding, context=self.get_serializer_context()).data)
