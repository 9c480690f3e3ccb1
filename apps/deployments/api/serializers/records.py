"""API shapes of what the process records on a deployment: its timeline, checks, ratings, incidents and
problems."""

from rest_framework import serializers

from apps.deployments.api.serializers.fields import MAX_TEXT, SeverityField
from apps.deployments.models import (
    Check,
    CheckResult,
    DeploymentEvent,
    DeploymentProblem,
    Feedback,
    IncidentLink,
    Severity,
)


class DeploymentEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeploymentEvent
        fields = ["id", "at", "actor", "channel", "token_name", "kind", "from_status", "to_status", "comment", "data"]
        read_only_fields = fields


class CheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = Check
        fields = [
            "id",
            "kind",
            "description",
            "result",
            "evidence",
            "component_version",
            "observed_checksum",
            "required",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class CheckRecordInputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[c for c in CheckResult.choices if c[0] != CheckResult.PENDING])
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT,
        default="",
        help_text="Needed to pass a required check (what was verified, and how); for `n_a`, the reason.",
    )
    observed_checksum = serializers.CharField(
        required=False, allow_blank=True, max_length=100, default="", help_text="SHA-256, 64 hex digits."
    )


class FeedbackSerializer(serializers.ModelSerializer):
    rating_lead_time = serializers.IntegerField(min_value=1, max_value=5)
    rating_quality = serializers.IntegerField(min_value=1, max_value=5)
    rating_rate_of_change = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        default=None,
        help_text="Satisfaction with the rate of change, 1–5; optional (null when not answered).",
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT, default="")

    class Meta:
        model = Feedback
        fields = ["id", "user", "rating_lead_time", "rating_quality", "rating_rate_of_change", "comment", "at"]
        read_only_fields = ["id", "user", "at"]


class IncidentLinkSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(
        choices=["open", "resolved", "withdrawn"], read_only=True, help_text="Withdrawn links count nowhere."
    )

    class Meta:
        model = IncidentLink
        fields = [
            "id",
            "incident_ref",
            "title",
            "severity",
            "opened_at",
            "resolved_at",
            "resolved_by",
            "state",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
            "created_by",
        ]
        read_only_fields = [
            "id",
            "resolved_at",
            "resolved_by",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawn_reason",
            "created_by",
        ]
        extra_kwargs = {"opened_at": {"required": False}}


class IncidentResolveInputSerializer(serializers.Serializer):
    resolved_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the service was restored; now when left out."
    )


class IncidentWithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Why the incident is not the deployment's.")


class ProblemSerializer(serializers.ModelSerializer):
    description = serializers.CharField(max_length=MAX_TEXT)
    severity = SeverityField(choices=Severity.choices, default=Severity.MEDIUM)

    class Meta:
        model = DeploymentProblem
        fields = ["id", "description", "severity", "resolved", "created_by", "created_at", "resolved_at"]
        read_only_fields = ["id", "resolved", "created_by", "created_at", "resolved_at"]
