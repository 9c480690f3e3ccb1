"""API shapes of delegations of approval; writes are validated again by the services."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.catalog.models import Service
from apps.environments.models import Environment
from apps.people.models import Delegation


class DelegationSerializer(serializers.ModelSerializer):
    """A deployment manager's approval delegated to a deputy for a period and a scope (environments and/or
    services). `manager` is the user who creates it; `status` is upcoming, active, ended or revoked."""

    deputy = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    environments = serializers.PrimaryKeyRelatedField(many=True, queryset=Environment.objects.all(), required=False)
    services = serializers.PrimaryKeyRelatedField(many=True, queryset=Service.objects.all(), required=False)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = Delegation
        fields = [
            "id",
            "manager",
            "deputy",
            "starts_at",
            "ends_at",
            "environments",
            "services",
            "reason",
            "status",
            "created_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = ["id", "manager", "status", "created_at", "revoked_at", "revoked_by"]
