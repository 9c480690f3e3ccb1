"""Admin of reviews and initiatives: read-mostly, with filters, search and history; status moves in the pages."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.reviews.models import ImprovementInitiative, ModelReview


class InitiativeInline(admin.TabularInline):
    model = ImprovementInitiative
    extra = 0
    fields = ["title", "owner", "status", "change_request_ref", "closed_at"]
    readonly_fields = ["closed_at"]
    autocomplete_fields = ["owner"]


@admin.register(ModelReview)
class ModelReviewAdmin(SimpleHistoryAdmin):
    list_display = ["model", "kind", "status", "period_start", "period_end", "due_date", "facilitator", "decision"]
    list_filter = ["kind", "status", "decision", "due_date"]
    search_fields = ["model__name", "findings", "lessons_learnt", "reason"]
    date_hierarchy = "due_date"
    list_select_related = ["model", "facilitator"]
    autocomplete_fields = ["facilitator", "participants"]
    raw_id_fields = ["model", "trigger_deployment", "new_model_version"]
    readonly_fields = [
        "status",
        "analysis",
        "started_at",
        "completed_at",
        "reminded_at",
        "outcome_notified_at",
        "outcome_recipients",
        "created_at",
    ]
    inlines = [InitiativeInline]


@admin.register(ImprovementInitiative)
class ImprovementInitiativeAdmin(SimpleHistoryAdmin):
    list_display = ["title", "review", "owner", "status", "change_request_ref", "created_at", "closed_at"]
    list_filter = ["status", "review__model"]
    search_fields = ["title", "description", "change_request_ref", "review__model__name"]
    list_select_related = ["review__model", "owner"]
    autocomplete_fields = ["owner"]
    raw_id_fields = ["review"]
    readonly_fields = ["created_at", "closed_at"]
