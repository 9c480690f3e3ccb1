"""Admin of deployment models: read-mostly, status read-only; lifecycle changes go through admin actions → services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.context import ADMIN
from apps.catalog.models import ComponentSource, ComponentType
from apps.core.admin import ReadOnlyAdmin
from apps.core.exceptions import ConflictError
from apps.deployment_models import services
from apps.deployment_models.models import (
    DeploymentModel,
    ModelAnnouncement,
    ModelStage,
    Raci,
    Responsibility,
    Trigger,
)


class DeploymentModelAdminForm(forms.ModelForm):
    component_types = forms.MultipleChoiceField(
        choices=ComponentType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    component_sources = forms.MultipleChoiceField(
        choices=ComponentSource.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    triggers = forms.MultipleChoiceField(choices=Trigger.choices, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = DeploymentModel
        fields = sorted(services.MODEL_FIELDS)


def _parent_editable(obj) -> bool:
    return obj is None or obj.is_editable


class ModelStageInline(admin.TabularInline):
    model = ModelStage
    extra = 0
    fields = (
        "order",
        "environment",
        "approvals_required",
        "requires_service_owner_approval",
        "pre_approved",
        "requires_change_ref",
        "extra_approval_risk_threshold",
    )
    autocomplete_fields = ()
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return _parent_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _parent_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _parent_editable(obj) and super().has_delete_permission(request, obj)


class ResponsibilityFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        accountable = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE") or data.get("raci") != Raci.ACCOUNTABLE:
                continue
            activity = (data.get("activity") or "").strip().lower()
            if activity in accountable:
                raise ValidationError(f"“{data['activity']}” has more than one Accountable role: keep exactly one.")
            accountable[activity] = True


class ResponsibilityInline(ModelStageInline):
    model = Responsibility
    formset = ResponsibilityFormSet
    fields = ("activity", "role", "raci")
    show_change_link = False


def _run(modeladmin, request, queryset, service, done: str) -> None:
    for model in queryset:
        try:
            result = service(model=model, actor=request.user, channel=ADMIN)
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            text = exc.message if isinstance(exc, ConflictError) else " ".join(getattr(exc, "messages", [str(exc)]))
            modeladmin.message_user(request, f"{model}: {text}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{result} {done}.", messages.SUCCESS)


@admin.register(DeploymentModel)
class DeploymentModelAdmin(SimpleHistoryAdmin):
    form = DeploymentModelAdminForm
    list_display = ("name", "version", "status", "automation_level", "next_review_due", "activated_at", "owner")
    list_filter = ("status", "automation_level", "review_interval_months")
    search_fields = ("name", "description")
    list_select_related = ("owner",)
    readonly_fields = (
        "status",
        "version",
        "previous_version",
        "activated_at",
        "retired_at",
        "next_review_due",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("name", "version", "status", "description", "owner", "previous_version")}),
        ("Applicability", {"fields": ("component_types", "component_sources", "automation_level", "triggers")}),
        (
            "The four dimensions",
            {
                "fields": (
                    "dimension_organisations_people",
                    "dimension_information_technology",
                    "dimension_value_streams_processes",
                    "dimension_partners_suppliers",
                )
            },
        ),
        ("Selection factors (JSON: factor → text)", {"fields": ("selection_factors",)}),
        (
            "Rollback and review",
            {
                "fields": (
                    "rollback_procedure",
                    "rollback_rehearsed_on",
                    "review_interval_months",
                    "next_review_due",
                    "activated_at",
                    "retired_at",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )
    inlines = [ModelStageInline, ResponsibilityInline]
    actions = ["pilot", "activate", "new_version", "retire"]

    def has_change_permission(self, request, obj=None):
        # An active or retired model is immutable: its page is read-only; use the "new version" action.
        return _parent_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.status == "draft") and super().has_delete_permission(request, obj)

    @admin.action(description="Pilot the selected drafts (model testing)")
    def pilot(self, request, queryset):
        _run(self, request, queryset, services.model_pilot, "is now a pilot")

    @admin.action(description="Activate the selected models")
    def activate(self, request, queryset):
        _run(self, request, queryset, services.model_activate, "is now active")

    @admin.action(description="Make a new draft version of the selected models")
    def new_version(self, request, queryset):
        _run(self, request, queryset, services.model_new_version, "drafted")

    @admin.action(description="Retire the selected models")
    def retire(self, request, queryset):
        _run(self, request, queryset, services.model_retire, "is retired")


class _OfEditableModels:
    """Stages and RACI rows are only added to (or moved between) draft and pilot models, and changed or removed only
    while their model is editable."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "model":
            kwargs["queryset"] = DeploymentModel.objects.filter(status__in=["draft", "pilot"])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.model.is_editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.model.is_editable) and super().has_delete_permission(request, obj)


@admin.register(ModelStage)
class ModelStageAdmin(_OfEditableModels, SimpleHistoryAdmin):
    list_display = (
        "model",
        "order",
        "environment",
        "approvals_required",
        "requires_service_owner_approval",
        "pre_approved",
        "requires_change_ref",
        "extra_approval_risk_threshold",
    )
    list_filter = (
        "pre_approved",
        "requires_service_owner_approval",
        "requires_change_ref",
        "environment",
        "model__status",
    )
    search_fields = ("model__name", "environment__name", "acceptance_criteria")
    list_select_related = ("model", "environment")


@admin.register(Responsibility)
class ResponsibilityAdmin(_OfEditableModels, admin.ModelAdmin):
    list_display = ("model", "activity", "role", "raci")
    list_filter = ("raci", "model__status")
    search_fields = ("model__name", "activity", "role")
    list_select_related = ("model",)


@admin.register(ModelAnnouncement)
class ModelAnnouncementAdmin(ReadOnlyAdmin):
    """Who the worker told of a model's activation or retirement."""

    list_display = ("model", "kind", "sent_at")
    list_filter = ("kind",)
    search_fields = ("model__name",)
