"""API shapes of environments, standing checks and freeze and maintenance windows (DESIGN.md §5)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.environments.models import Clearance, Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow


class EnvironmentCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnvironmentCheck
        fields = ["id", "description", "order", "is_active"]
        read_only_fields = fields


class StandingCheckSerializer(serializers.ModelSerializer):
    """A standing check of one environment, written through `environments/{id}/standing-checks/`."""

    description = serializers.CharField(max_length=300)
    order = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)

    class Meta:
        model = EnvironmentCheck
        fields = ["id", "description", "order", "is_active"]


class ClearanceSerializer(serializers.ModelSerializer):
    """A practitioner's clearance for one environment: who cleared them, why and until when (empty = until
    withdrawn)."""

    user = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class Meta:
        model = Clearance
        fields = ["id", "environment", "user", "granted_by", "reason", "granted_at", "expires_at"]
        read_only_fields = ["environment", "granted_by", "granted_at"]


class EnvironmentSerializer(serializers.ModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), allow_null=True, required=False
    )
    standing_checks = EnvironmentCheckSerializer(many=True, read_only=True)
    slug = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100)

    class Meta:
        model = Environment
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "order",
            "controlled",
            "allows_parallel_deployments",
            "requires_maintenance_window",
            "purpose",
            "owner",
            "is_active",
            "standing_checks",
        ]


WINDOW_FIELDS = [
    "id",
    "environment",
    "name",
    "start",
    "end",
    "recurrence",
    "time_zone",
    "weekly_start_day",
    "start_time",
    "weekly_end_day",
    "end_time",
    "month_end_days",
    "holidays",
]


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "22:00:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the window's own time zone (no UTC offset), e.g. `22:00:00`."""


class _WindowSerializer(serializers.ModelSerializer):
    start_time = LocalTimeField(allow_null=True, required=False, help_text="Local time in the window's time zone.")
    end_time = LocalTimeField(allow_null=True, required=False, help_text="Local time in the window's time zone.")
    weekly_start_day = serializers.IntegerField(
        min_value=0, max_value=6, allow_null=True, required=False, help_text="0 = Monday … 6 = Sunday"
    )
    weekly_end_day = serializers.IntegerField(
        min_value=0, max_value=6, allow_null=True, required=False, help_text="0 = Monday … 6 = Sunday"
    )
    month_end_days = serializers.IntegerField(min_value=1, max_value=10, allow_null=True, required=False)
    holidays = serializers.ListField(
        child=serializers.DateField(), required=False, help_text="ISO dates, for recurrence `holidays`."
    )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "holidays" in value:
            value["holidays"] = [day.isoformat() for day in value["holidays"]]
        return value


class FreezeWindowSerializer(_WindowSerializer):
    class Meta:
        model = FreezeWindow
        fields = [*WINDOW_FIELDS, "reason"]
        extra_kwargs = {"environment": {"help_text": "null = every environment."}}


class MaintenanceWindowSerializer(_WindowSerializer):
    class Meta:
        model = MaintenanceWindow
        fields = WINDOW_FIELDS
