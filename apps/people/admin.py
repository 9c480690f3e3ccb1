"""Admin for skills and delegations: read-mostly; delegations are made and revoked on their page or the API."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.people.models import Delegation, Skill


@admin.register(Skill)
class SkillAdmin(SimpleHistoryAdmin):
    list_display = ("user", "competency", "environment_kind", "component_type", "level", "updated_at")
    list_filter = ("competency", "environment_kind", "component_type", "level")
    search_fields = ("user__username", "user__first_name", "user__last_name", "note")
    list_select_related = ("user",)


@admin.register(Delegation)
class DelegationAdmin(SimpleHistoryAdmin):
    list_display = ("manager", "deputy", "starts_at", "ends_at", "revoked_at", "status")
    list_filter = ("starts_at", "revoked_at")
    search_fields = ("manager__username", "deputy__username", "reason")
    list_select_related = ("manager", "deputy")
    readonly_fields = (
        "manager",
        "deputy",
        "starts_at",
        "ends_at",
        "environments",
        "services",
        "reason",
        "created_at",
        "revoked_at",
        "revoked_by",
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
