"""Admin of the reports app: export jobs, calendar feed tokens and audit findings with their history, read-only
(findings change through their service, which keeps the history and the audit chain); KPI targets, which managers
set here through the same service as on the KPI targets page."""

from django import forms
from django.contrib import admin

from apps.audit.context import ADMIN, AuditContext
from apps.core.admin import ReadOnlyAdmin
from apps.reports.models import AuditFinding, CalendarFeedToken, ExportJob, FindingEvent, KpiTarget
from apps.reports.targets import services as target_services
from apps.reports.targets.forms import metric_choices


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


class KpiTargetAdminForm(forms.ModelForm):
    metric = forms.ChoiceField(choices=metric_choices)

    class Meta:
        model = KpiTarget
        fields = ("metric", "target", "amber_band")

    def clean(self):
        data = super().clean()
        metric = data.get("metric") or getattr(self.instance, "metric", "")
        if "target" in data:
            target_services.kpi_target_check(metric, data.get("target"), data.get("amber_band"))
        return data


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    """Targets are written by kpi_target_set / kpi_target_clear (audited, with who and when), never directly."""

    form = KpiTargetAdminForm
    list_display = ("metric", "target", "amber_band", "set_by", "set_at")
    list_select_related = ("set_by",)
    search_fields = ("metric",)
    readonly_fields = ("set_by", "set_at")
    actions = None  # the bulk delete would skip the service and its audit entries

    def get_readonly_fields(self, request, obj=None):
        return ("metric", *self.readonly_fields) if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        row = target_services.kpi_target_set(
            ctx=AuditContext(actor=request.user, channel=ADMIN),
            metric=obj.metric,
            target=obj.target,
            amber_band=obj.amber_band,
        )
        obj.pk, obj.set_by, obj.set_at = row.pk, row.set_by, row.set_at

    def delete_model(self, request, obj):
        target_services.kpi_target_clear(ctx=AuditContext(actor=request.user, channel=ADMIN), metric=obj.metric)
