"""Admin for the catalog: list filters, search and history; owner changes go through service_set_owners so that
object permissions follow."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.context import ADMIN
from apps.catalog.models import ComponentVersion, Service, ServiceComponent, Supplier, validate_sha256
from apps.catalog.selectors import FROZEN_FIELDS, component_version_frozen_by
from apps.catalog.services import component_version_check_frozen, service_set_owners


class ComponentInline(admin.TabularInline):
    model = ServiceComponent
    fields = ("name", "type", "source")
    extra = 0
    show_change_link = True


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "criticality", "is_active", "owner_names")
    list_filter = ("criticality", "is_active")
    search_fields = (
        "name",
        "slug",
        "description",
        "service_desk_email",
        "owners__username",
        "product_owners__username",
    )
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("owners", "product_owners")
    inlines = [ComponentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("owners")

    @admin.display(description="Owners")
    def owner_names(self, obj) -> str:
        return ", ".join(u.username for u in obj.owners.all())

    def save_related(self, request, form, formsets, change):
        # owners and product owners are set by the service (with their object permissions), not by save_m2m
        owners = form.cleaned_data.pop("owners", None)
        product_owners = form.cleaned_data.pop("product_owners", None)
        super().save_related(request, form, formsets, change)
        if owners is not None or product_owners is not None:
            service = form.instance
            service_set_owners(
                channel=ADMIN,
                service=service,
                owners=service.owners.all() if owners is None else owners,
                product_owners=service.product_owners.all() if product_owners is None else product_owners,
                actor=request.user,
            )

    def delete_model(self, request, obj):
        service_set_owners(channel=ADMIN, service=obj, owners=[], product_owners=[], actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            service_set_owners(channel=ADMIN, service=obj, owners=[], product_owners=[], actor=request.user)
        super().delete_queryset(request, queryset)


class ComponentVersionAdminForm(forms.ModelForm):
    """Checksums are lower-cased as the services do; a frozen version's checksum and reference are refused by
    the same service rule as on every other channel (the fields are read-only too, this catches a race)."""

    class Meta:
        model = ComponentVersion
        fields = ("component", "version", "repository_ref", "checksum", "notes")

    def clean_checksum(self):
        value = (self.cleaned_data.get("checksum") or "").strip().lower()
        validate_sha256(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            stored = ComponentVersion.objects.select_related("component").get(pk=self.instance.pk)
            changed = {name: cleaned[name] for name in FROZEN_FIELDS if name in cleaned}
            component_version_check_frozen(component_version=stored, fields=changed)
        return cleaned


class VersionInline(admin.TabularInline):
    model = ComponentVersion
    form = ComponentVersionAdminForm
    fields = ("version", "repository_ref", "checksum")
    extra = 0


@admin.register(ServiceComponent)
class ServiceComponentAdmin(SimpleHistoryAdmin):
    list_display = ("name", "service", "type", "source")
    list_filter = ("type", "source", "service")
    search_fields = ("name", "description", "service__name")
    list_select_related = ("service",)
    autocomplete_fields = ("service",)
    filter_horizontal = ("suppliers",)
    inlines = [VersionInline]


@admin.register(ComponentVersion)
class ComponentVersionAdmin(SimpleHistoryAdmin):
    form = ComponentVersionAdminForm
    list_display = ("version", "component", "repository_ref", "created_at")
    list_filter = ("component__type", "component__service")
    search_fields = ("version", "repository_ref", "checksum", "component__name", "component__service__name")
    list_select_related = ("component__service",)
    autocomplete_fields = ("component",)
    readonly_fields = ("created_at",)

    def get_readonly_fields(self, request, obj=None):
        # once an approved or finished deployment carries the version, what it approved is not edited here
        if obj is not None and component_version_frozen_by(component_version=obj) is not None:
            return (*FROZEN_FIELDS, "frozen_by", *self.readonly_fields)
        return self.readonly_fields

    @admin.display(description="Frozen by")
    def frozen_by(self, obj) -> str:
        used = component_version_frozen_by(component_version=obj)
        return f"{used['reference']} ({used['status'].replace('_', ' ')})" if used else "—"


@admin.register(Supplier)
class SupplierAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "contract_ref")
    list_filter = ("kind",)
    search_fields = ("name", "contract_ref", "contacts")
