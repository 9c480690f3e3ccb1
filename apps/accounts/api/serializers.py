"""API shapes of the signed-in user."""

from rest_framework import serializers

from apps.accounts.models import User


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    token_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_service_account", "roles", "token_name"]

    def get_roles(self, obj) -> list[str]:
        return obj.role_names

    def get_token_name(self, obj) -> str | None:
        token = getattr(self.context.get("request"), "auth", None)
        return getattr(token, "name", None)
