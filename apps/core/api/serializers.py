"""Shapes shared by every API resource: the error body, documented once for the OpenAPI schema."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A sentence saying what went wrong.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. `invalid`, `not_found`, `conflict`.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages for 400 answers.",
    )
    conflicts = serializers.ListField(child=serializers.CharField(), required=False)
