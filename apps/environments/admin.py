"""Admin for environments, standing checks and freeze and maintenance windows, with change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.environments.models import Environment, EnvironmentCheck, FreezeWindow, MaintenanceWindow


class EnvironmentCheckInline(admin.TabularInline):
    model = EnvironmentCheck
    extra = 0
    fields = ("order", "description", "is_active")


@admin.register(Environment)
class EnvironmentAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "slug",
        "kind",
        "order",
        "controlled",
        "allows_parallel_deployments",
        "requires_maintenance_window",
        "owner",
        "is_active",
    )
    list_filter = ("kind", "controlled", "allows_parallel_deployments", "requires_maintenance_window", "is_active")
    search_fields = ("name", "slug", "purpose")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    inlines = [EnvironmentCheckInline]


@admin.register(EnvironmentCheck)
class EnvironmentCheckAdmin(SimpleHistoryAdmin):
    list_display = ("description", "environment", "order", "is_active")
    list_filter = ("environment", "is_active")
    search_fields = ("description", "environment__name")
    list_select_related = ("environment",)


WINDOW_FIELDSETS = (
    ("Rule", {"fields": ("recurrence", "time_zone", "start", "end")}),
    ("Weekly", {"fields": ("weekly_start_day", "start_time", "weekly_end_day", "end_time"), "classes": ("collapse",)}),
    ("Month-end and holidays", {"fields": ("month_end_days", "holidays"), "classes": ("collapse",)}),
)


@admin.register(FreezeWindow)
class FreezeWindowAdmin(SimpleHistoryAdmin):
    list_display = ("name", "environment", "recurrence", "start", "end", "time_zone")
    list_filter = ("recurrence", "environment", "time_zone")
    search_fields = ("name", "reason", "environment__name")
    list_select_related = ("environment",)
    fieldsets = ((None, {"fields": ("name", "environment", "reason")}), *WINDOW_FIELDSETS)


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(SimpleHistoryAdmin):
    list_display = ("name", "environment", "recurrence", "start", "end", "time_zone")
    list_filter = ("recurrence", "environment", "time_zone")
    search_fields = ("name", "environment__name")
    list_select_related = ("environment",)
    fieldsets = ((None, {"fields": ("name", "environment")}), *WINDOW_FIELDSETS)
