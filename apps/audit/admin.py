"""Admin of the audit trail: read-only (nobody adds, changes or deletes an entry)."""

from django.contrib import admin

from apps.audit.models import AuditEntry
from apps.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "channel", "action", "object_type", "object_id", "object_repr")
    list_filter = ("channel", "action", "object_type")
    search_fields = ("object_repr", "object_id", "actor_name", "hash")
    date_hierarchy = "at"
    ordering = ("-id",)
    show_full_result_count = False  # counting millions of rows on every page is slow
