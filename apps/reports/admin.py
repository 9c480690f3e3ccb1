"""Admin of the reports app: the audit trail read-only (nobody adds, changes or deletes an entry), export jobs."""

from django.contrib import admin

from apps.reports.models import AuditEntry
from apps.reports.record_models import CalendarFeedToken, ExportJob


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "channel", "action", "object_type", "object_id", "object_repr")
    list_filter = ("channel", "action", "object_type")
    search_fields = ("object_repr", "object_id", "actor_name", "hash")
    date_hierarchy = "at"
    ordering = ("-id",)
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "kind", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("user__username",)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # administrators may clear old jobs


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username",)
    exclude = ("key_hash",)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # revoking a leaked feed
