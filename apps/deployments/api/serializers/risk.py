"""The API shape of a deployment's risk factors (DESIGN.md §5: risk_factors [{factor, value, contribution}])."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class RiskFactorSerializer(serializers.Serializer):
    """One factor of the risk score: its code, the number behind it in words, and its points of the score."""

    factor = serializers.CharField(help_text="model_failure_rate, service_failure_rate, component_incidents, ...")
    label = serializers.CharField()
    value = serializers.CharField(help_text="The number behind the factor, e.g. “2 of 8 (25%)”.")
    contribution = serializers.FloatField(help_text="Its points of the 0–100 score.")
    weight = serializers.IntegerField(help_text="The most it can contribute.")
    detail = serializers.CharField(help_text="Why, in a sentence.")


@extend_schema_field(RiskFactorSerializer(many=True))
class RiskFactorsField(serializers.JSONField):
    """The stored factors as they are ([] for a deployment never scored), read-only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return list(value or [])

    def read(self, obj) -> list:
        """The value of `obj`'s factors (the deployment serializer's fast reader)."""
        return self.to_representation(obj.risk_factors)
