"""Admin building blocks shared by every app: records that the admin shows but never writes."""

from django.contrib import admin


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
