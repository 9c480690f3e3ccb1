"""Admin of the reports app: export jobs, calendar feed tokens and audit findings with their history, read-only
(findings change through their service, which keeps the history and the audit chain)."""

from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.reports.models import AuditFinding, CalendarFeedToken, ExportJob, FindingEvent


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


class FindingEventInline(admin.TabularInline):
    model = FindingEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "channel", "from_status", "to_status", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AuditFinding)
class AuditFindingAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "subject_type", "severity", "status", "owner", "due_date", "raised_by", "raised_at")
    list_filter = ("status", "severity", "subject_type")
    search_fields = ("title", "description", "owner__username", "raised_by__username")
    list_select_related = ("owner", "raised_by")
    inlines = [FindingEventInline]
