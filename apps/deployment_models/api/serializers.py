"""API shapes of deployment models, stages and responsibilities; writes are validated again by the services."""

from rest_framework import serializers

from apps.catalog.models import ComponentSource, ComponentType
from apps.deployment_models.models import (
    MAX_APPROVALS,
    MAX_PILOT_RUNS,
    MAX_REVIEW_INTERVAL_MONTHS,
    MAX_STAGE_ORDER,
    SELECTION_FACTOR_KEYS,
    DeploymentModel,
    ModelStage,
    PilotDecision,
    PilotOutcome,
    Responsibility,
    Trigger,
)
from apps.environments.models import Environment

# what a model's pilot and its evaluation record: read-only here, written by the lifecycle services
PILOT_RECORD_FIELDS = [
    "pilot_runs_confirmed",
    "pilot_started_at",
    "evaluation_outcome",
    "evaluation_findings",
    "evaluation_decision",
    "evaluated_by",
    "evaluated_at",
    "pilot_override_reason",
    "pilot_overridden_by",
    "pilot_overridden_at",
]
STAGE_FIELDS = [
    "id",
    "model",
    "environment",
    "environment_name",
    "order",
    "approvals_required",
    "requires_service_owner_approval",
    "pre_approved",
    "requires_change_ref",
    "extra_approval_risk_threshold",
    "entry_criteria",
    "exit_criteria",
    "acceptance_criteria",
    "step_template",
]


class ModelStageSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=DeploymentModel.objects.all())
    environment = serializers.PrimaryKeyRelatedField(queryset=Environment.objects.all())
    environment_name = serializers.CharField(source="environment.name", read_only=True)
    order = serializers.IntegerField(min_value=1, max_value=MAX_STAGE_ORDER, required=False)
    approvals_required = serializers.IntegerField(
        min_value=0, max_value=MAX_APPROVALS, required=False, help_text="Default: 0 when pre-approved, else 1."
    )

    class Meta:
        model = ModelStage
        fields = STAGE_FIELDS
        validators = []  # uniqueness is checked by the service, with clearer messages

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            fields["model"].read_only = True  # a stage never moves to another model
        return fields


class NestedStageSerializer(serializers.ModelSerializer):
    environment_name = serializers.CharField(source="environment.name", read_only=True)
    environment_slug = serializers.CharField(source="environment.slug", read_only=True)

    class Meta:
        model = ModelStage
        fields = ["id", "environment", "environment_name", "environment_slug", *STAGE_FIELDS[4:]]
        read_only_fields = fields


class ResponsibilitySerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=DeploymentModel.objects.all())

    class Meta:
        model = Responsibility
        fields = ["id", "model", "activity", "role", "raci"]
        validators = []


class DeploymentModelSerializer(serializers.ModelSerializer):
    component_types = serializers.ListField(child=serializers.ChoiceField(ComponentType.choices), required=False)
    component_sources = serializers.ListField(child=serializers.ChoiceField(ComponentSource.choices), required=False)
    triggers = serializers.ListField(child=serializers.ChoiceField(Trigger.choices), required=False)
    selection_factors = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        help_text=f"Text per factor; keys: {', '.join(SELECTION_FACTOR_KEYS)}.",
    )
    review_interval_months = serializers.IntegerField(min_value=1, max_value=MAX_REVIEW_INTERVAL_MONTHS, default=3)
    pilot_runs_required = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PILOT_RUNS,
        default=3,
        help_text="How many completed deployments a deployment manager confirms in the pilot before it is evaluated.",
    )
    stages = NestedStageSerializer(many=True, read_only=True)
    responsibilities = ResponsibilitySerializer(many=True, read_only=True)
    # empty until the pilot is evaluated (the model fields are not editable, so DRF would not allow blank)
    evaluation_outcome = serializers.ChoiceField(
        PilotOutcome.choices, read_only=True, allow_blank=True, help_text="Empty until the pilot is evaluated."
    )
    evaluation_decision = serializers.ChoiceField(
        PilotDecision.choices, read_only=True, allow_blank=True, help_text="Empty until the pilot is evaluated."
    )

    class Meta:
        model = DeploymentModel
        fields = [
            "id",
            "name",
            "version",
            "status",
            "automation_level",
            "component_types",
            "component_sources",
            "next_review_due",
            "stages",
            "description",
            "owner",
            "previous_version",
            "dimension_organisations_people",
            "dimension_information_technology",
            "dimension_value_streams_processes",
            "dimension_partners_suppliers",
            "selection_factors",
            "triggers",
            "rollback_procedure",
            "rollback_rehearsed_on",
            "review_interval_months",
            "activated_at",
            "retired_at",
            "pilot_runs_required",
            *PILOT_RECORD_FIELDS,
            "responsibilities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "version",
            "status",
            "next_review_due",
            "previous_version",
            "activated_at",
            "retired_at",
            *PILOT_RECORD_FIELDS,
            "created_at",
            "updated_at",
        ]
        validators = []

    def validate_selection_factors(self, value):
        if unknown := sorted(set(value) - set(SELECTION_FACTOR_KEYS)):
            raise serializers.ValidationError(f"Unknown factor(s): {', '.join(unknown)}.")
        return value


class ModelActivateInputSerializer(serializers.Serializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        default="",
        help_text="Deployment managers only: why the model is activated without (or before the end of) its pilot. "
        "Counted as a compliance exception.",
    )


class ModelEvaluateInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(PilotOutcome.choices)
    findings = serializers.CharField(max_length=20_000, help_text="What the pilot found.")
    decision = serializers.ChoiceField(
        PilotDecision.choices, help_text="activate (then `activate/`), revise (back to draft) or abandon (retired)."
    )
