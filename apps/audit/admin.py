"""Admin of the audit trail: read-only (nobody adds, changes or deletes an entry)."""

from django.contrib import admin

from apps.audit.models import AuditArchive, AuditCheckpoint, AuditEntry, AuditStreamCursor
from apps.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "channel", "action", "object_type", "object_id", "object_repr")
    list_filter = ("channel", "action", "object_type")
    search_fields = ("object_repr", "object_id", "actor_name", "hash")
    date_hierarchy = "at"
    ordering = ("-id",)
    show_full_result_count = False  # counting millions of rows on every page is slow


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "last_entry", "entry_count", "reason", "key_id")
    list_filter = ("reason",)
    search_fields = ("head_hash", "key_id")
    ordering = ("-id",)


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "before", "first_entry", "last_entry", "entry_count", "file_name")
    ordering = ("-first_entry",)


@admin.register(AuditStreamCursor)
class AuditStreamCursorAdmin(ReadOnlyAdmin):
    list_display = ("destination", "last_entry", "sent_count", "sent_at", "failures", "failed_at", "last_error")
