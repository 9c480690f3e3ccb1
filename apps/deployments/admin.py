"""Admin of deployments: read-mostly; the process moves only through admin actions that call the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import ReadOnlyAdmin
from apps.core.exceptions import ConflictError
from apps.deployments import workflow
from apps.deployments.models import (
    AlignmentRating,
    Approval,
    Channel,
    Check,
    Deployment,
    DeploymentEvent,
    DeploymentProblem,
    DeploymentStep,
    Feedback,
    HookDelivery,
    IdempotencyKey,
    IncidentLink,
    RiskBacktest,
)
from apps.deployments.services import Context, deployment_transition


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApprovalInline(ReadOnlyInline):
    model = Approval
    fields = ["user", "role", "decision", "comment", "at", "superseded"]
    readonly_fields = fields


class CheckInline(ReadOnlyInline):
    model = Check
    fields = ["kind", "description", "result", "evidence", "observed_checksum", "recorded_by", "recorded_at"]
    readonly_fields = fields


class StepInline(ReadOnlyInline):
    model = DeploymentStep
    fields = ["order", "title", "owner", "expected_minutes", "status", "note", "done_by", "done_at"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    """The timeline is append-only: nobody edits it here (services append to it)."""

    model = DeploymentEvent
    fields = ["at", "actor", "channel", "token_name", "kind", "from_status", "to_status", "comment"]
    readonly_fields = fields


def _transition_action(name: str):
    spec = workflow.TRANSITIONS[name]

    def action(modeladmin, request, queryset):
        ctx = Context(actor=request.user, channel=Channel.ADMIN)
        done = 0
        for deployment in queryset.order_by("pk"):
            try:
                deployment_transition(
                    ctx=ctx,
                    deployment=deployment,
                    transition=name,
                    comment=f"{spec.label} from the admin." if spec.needs_comment else "",
                )
            except (ValidationError, PermissionDenied, ConflictError) as exc:
                reason = getattr(exc, "message", None) if isinstance(exc, ConflictError) else None
                if reason is None:
                    reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                modeladmin.message_user(
                    request, f"{deployment.reference}: “{spec.label}” refused — {reason}", level=messages.ERROR
                )
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{spec.label}: {done} deployment(s).", level=messages.SUCCESS)

    action.__name__ = f"transition_{name.replace('-', '_')}"
    action.short_description = f"{spec.label} (selected deployments)"
    return action


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    # Read-only: plans change through the services (the page or the API), which keep the version, the approvals and
    # the timeline right; the admin shows them and moves the process through its actions.

    list_display = ["reference", "title", "action", "status", "environment", "service", "planned_start", "requester"]
    list_filter = ["status", "environment", "service", "action"]
    search_fields = ["reference", "title"]
    list_select_related = ["environment", "service", "requester"]
    date_hierarchy = "planned_start"
    inlines = [ApprovalInline, CheckInline, StepInline, EventInline]
    actions = [_transition_action(t.name) for t in workflow.people_transitions()]
    readonly_fields = [
        "reference",
        "status",
        "version",
        "override_count",
        "submitted_at",
        "approved_at",
        "actual_start",
        "actual_end",
        "stage",
        "requester",
        "created_at",
        "updated_at",
        "released_at",
        "released_by",
        "risk_score",
        "risk_scored_at",
    ]
    fields = [
        "reference",
        "title",
        "status",
        "version",
        "action",
        "trigger",
        "service",
        "model",
        "stage",
        "environment",
        "component_versions",
        "requester",
        "manager",
        "practitioners",
        "supplier",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "change_ref",
        "release_ref",
        "requirements",
        "acceptance_criteria",
        "is_rollback",
        "outcome",
        "handover_note",
        "back_out_plan",
        "released_at",
        "released_by",
        "override_count",
        "external_id",
        "submitted_at",
        "approved_at",
        "created_at",
        "updated_at",
        "risk_score",
        "risk_scored_at",
    ]


@admin.register(DeploymentEvent)
class DeploymentEventAdmin(ReadOnlyAdmin):
    """The append-only timeline: searchable, never editable (superusers included: the audit chain depends on it)."""

    list_display = ["at", "deployment", "kind", "actor", "channel", "token_name", "from_status", "to_status"]
    list_filter = ["kind", "channel"]
    search_fields = ["deployment__reference", "comment", "token_name"]
    list_select_related = ["deployment", "actor"]
    date_hierarchy = "at"


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["deployment", "user", "role", "decision", "at", "superseded"]
    list_filter = ["role", "decision", "superseded"]
    search_fields = ["deployment__reference", "user__username", "comment"]
    list_select_related = ["deployment", "user"]


@admin.register(Check)
class CheckAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["deployment", "kind", "description", "result", "recorded_by", "recorded_at"]
    list_filter = ["kind", "result", "required"]
    search_fields = ["deployment__reference", "description", "evidence"]
    list_select_related = ["deployment", "recorded_by"]


@admin.register(IncidentLink)
class IncidentLinkAdmin(ReadOnlyAdmin):
    superuser_may_delete = True  # administrators may clear these records
    list_display = ["incident_ref", "deployment", "title", "severity", "opened_at", "resolved_at", "withdrawn_at"]
    list_filter = [
        "severity",
        ("resolved_at", admin.EmptyFieldListFilter),
        ("withdrawn_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["incident_ref", "title", "deployment__reference"]
    list_select_related = ["deployment"]


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    superuser_may_delete = True  # administrators may clear these records
    list_display = ["deployment", "user", "rating_lead_time", "rating_quality", "rating_rate_of_change", "at"]
    list_filter = ["rating_lead_time", "rating_quality", "rating_rate_of_change"]
    search_fields = ["deployment__reference", "user__username", "comment"]
    list_select_related = ["deployment", "user"]


@admin.register(DeploymentProblem)
class DeploymentProblemAdmin(ReadOnlyAdmin):
    superuser_may_delete = True  # administrators may clear these records
    list_display = ["deployment", "severity", "description", "resolved", "created_at"]
    list_filter = ["severity", "resolved"]
    search_fields = ["deployment__reference", "description"]
    list_select_related = ["deployment"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    superuser_may_delete = True  # administrators may clear these records
    list_display = ["key", "user", "deployment", "created_at"]
    search_fields = ["key", "deployment__reference"]
    list_select_related = ["user", "deployment"]


@admin.register(HookDelivery)
class HookDeliveryAdmin(ReadOnlyAdmin):
    superuser_may_delete = True  # administrators may clear these records
    list_display = ["received_at", "source", "delivery_id", "status_code", "deployment", "outcome"]
    list_filter = ["source", "status_code"]
    search_fields = ["delivery_id", "deployment__reference", "outcome"]
    list_select_related = ["deployment"]


@admin.register(AlignmentRating)
class AlignmentRatingAdmin(ReadOnlyAdmin):
    """The partners' and consumers' alignment ratings: asked by the worker, answered through signed links."""

    list_display = ("deployment", "email", "role", "rating", "requested_at", "answered_at")
    list_filter = ("role", "rating")
    search_fields = ("email", "deployment__reference")
    list_select_related = ("deployment",)


@admin.register(RiskBacktest)
class RiskBacktestAdmin(ReadOnlyAdmin):
    list_display = ["ran_at", "scored", "failed", "succeeded", "auc", "mean_score_failed", "mean_score_succeeded"]
    date_hierarchy = "ran_at"
