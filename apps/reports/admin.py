"""Admin of the reports app: export jobs and calendar feed tokens, read-only."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.reports.models import CalendarFeedToken, ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "kind", "status", "done", "total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("user__username",)
    superuser_may_delete = True  # administrators may clear old jobs


@admin.register(CalendarFeedToken)
class CalendarFeedTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username",)
    exclude = ("key_hash",)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # revoking a leaked feed
