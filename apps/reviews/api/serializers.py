"""API shapes of reviews and improvement initiatives (DESIGN.md §5: `reviews`, `improvements`)."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.deployment_models.models import DeploymentModel
from apps.reviews.analysis import analysis_for
from apps.reviews.models import ImprovementInitiative, ModelReview, ReviewDecision

User = get_user_model()


class ReviewSerializer(serializers.ModelSerializer):
    model = serializers.PrimaryKeyRelatedField(queryset=DeploymentModel.objects.all())
    facilitator = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    participants = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )
    analysis = serializers.JSONField(read_only=True, help_text="The records analysis computed when the review starts.")

    class Meta:
        model = ModelReview
        fields = [
            "id",
            "model",
            "kind",
            "status",
            "due_date",
            "period_start",
            "period_end",
            "analysis",
            "findings",
            "lessons_learnt",
            "decision",
            "facilitator",
            "participants",
            "reason",
            "trigger_deployment",
            "new_model_version",
            "started_at",
            "completed_at",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "trigger_deployment",
            "new_model_version",
            "started_at",
            "completed_at",
            "created_at",
        ]
        # uniqueness is the services' business (409 with a clear message), not a serializer validator's
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if "analysis" in data:  # the failures and incidents it names: only those the reader may see
            data["analysis"] = analysis_for(data["analysis"], getattr(request, "user", None))
        return data


class ReviewCompleteInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices, required=False)
    findings = serializers.CharField(required=False, allow_blank=True)
    lessons_learnt = serializers.CharField(required=False, allow_blank=True)


class ImprovementSerializer(serializers.ModelSerializer):
    review = serializers.PrimaryKeyRelatedField(queryset=ModelReview.objects.all())
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = ImprovementInitiative
        fields = [
            "id",
            "review",
            "title",
            "description",
            "owner",
            "status",
            "change_request_ref",
            "created_at",
            "closed_at",
        ]
        read_only_fields = ["created_at", "closed_at"]
