"""Admin building blocks shared by every app: records that the admin shows but never writes."""

from django.contrib import admin

from apps.core.models import OutboxMail, OutboxTask


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody adds or changes these rows in the admin; they are written by services. Deleting is refused too,
    unless `superuser_may_delete` lets administrators clear old rows."""

    superuser_may_delete = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.superuser_may_delete and request.user.is_superuser


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """Background calls not yet run: normally empty within seconds; a row that stays names a task that keeps
    failing (see the worker's log). Administrators may delete one that should not run any more."""

    list_display = ("pk", "key", "task", "attempts", "created_at", "handed_out_at")
    search_fields = ("key", "task")
    superuser_may_delete = True


@admin.register(OutboxMail)
class OutboxMailAdmin(ReadOnlyAdmin):
    """E-mails as they leave: queued, being sent, sent, or given up after the mail server kept refusing them (with
    its last error). Read-only: the worker sends and marks them; old sent rows are removed by the sweep."""

    list_display = ("pk", "subject", "recipient_list", "state", "attempts", "created_at", "next_attempt_at", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), ("gave_up_at", admin.EmptyFieldListFilter))
    search_fields = ("message_id", "key", "subject")
    date_hierarchy = "created_at"

    @admin.display(description="to")
    def recipient_list(self, obj: OutboxMail) -> str:
        return ", ".join(obj.recipients)
