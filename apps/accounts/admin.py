"""Admin for users and API tokens."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.accounts.models import ApiToken, NotificationPreference, User
from apps.accounts.services import api_token_create, api_token_revoke
from apps.core.admin import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Deploydesk", {"fields": ("is_service_account",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_service_account")
    list_filter = (*DjangoUserAdmin.list_filter, "is_service_account")
    readonly_fields = ("last_login", "date_joined")


class ApiTokenAdminForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ("user", "name")

    def clean(self):
        cleaned = super().clean()
        user, name = cleaned.get("user"), (cleaned.get("name") or "").strip()
        if user and name and ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).exists():
            self.add_error("name", f"{user} already has an active token named “{name}”.")
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created here for service accounts; the key is shown once in a message, only its hash is kept."""

    form = ApiTokenAdminForm
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        token, key = api_token_create(user=obj.user, name=obj.name)
        obj.pk = token.pk
        obj.prefix, obj.key_hash, obj.created_at = token.prefix, token.key_hash, token.created_at
        messages.warning(request, f"Key of “{token.name}” (copy it now, it is not stored): {key}")

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
        self.message_user(request, f"{queryset.count()} token(s) revoked.")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """Each person sets their own choices on their profile; the admin shows them."""

    list_display = ("user", "kind", "email", "updated_at")
    list_filter = ("kind", "email")
    search_fields = ("user__username", "user__email")
