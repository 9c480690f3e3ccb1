"""Admin of the identity links: see who signs in through which provider, link an existing account by hand."""

from django.contrib import admin

from apps.sso.models import ExternalIdentity


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "issuer", "subject", "roles", "last_login_at"]
    list_filter = ["kind", "issuer"]
    search_fields = ["user__username", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["roles", "first_login_at", "last_login_at"]
