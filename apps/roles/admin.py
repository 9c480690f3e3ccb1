"""Admin for the role profiles and the activities' competency profiles."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.roles.models import ActivityProfile, RoleProfile


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    list_display = ("group", "competency_profile", "competency_names")
    search_fields = ("group__name", "description")

    @admin.display(description="Competencies")
    def competency_names(self, obj):
        return ", ".join(obj.competency_names)


@admin.register(ActivityProfile)
class ActivityProfileAdmin(ReadOnlyAdmin):
    """Kept in step with apps/roles/competencies.py after every migrate: shown here, changed there."""

    list_display = ("activity", "process", "competency_profile", "competency_names")
    list_filter = ("process",)
    search_fields = ("activity", "description")

    @admin.display(description="Competencies")
    def competency_names(self, obj):
        return ", ".join(obj.competency_names)
