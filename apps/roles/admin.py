"""Admin for the role profiles."""

from django.contrib import admin

from apps.roles.models import RoleProfile


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    list_display = ("group", "competency_profile")
    search_fields = ("group__name", "description")
