"""One FilterSet per list of reviews and initiatives, shared by the pages and the API."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from apps.deployment_models.models import DeploymentModel
from apps.reviews.models import (
    ImprovementInitiative,
    InitiativeStatus,
    ModelReview,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
)

STATES = [
    ("due", "Due (planned, not overdue)"),
    ("overdue", "Overdue"),
    ("in_progress", "In progress"),
    ("open", "Open (not completed)"),
    ("completed", "Completed"),
]
OPEN = ~Q(status=ReviewStatus.COMPLETED)


def state_q(state: str, today=None) -> Q:
    """The review list's tabs as filters: due, overdue, in progress, open, completed."""
    today = today or timezone.localdate()
    return {
        "due": Q(status=ReviewStatus.PLANNED, due_date__gte=today),
        "overdue": OPEN & Q(due_date__lt=today),
        "in_progress": Q(status=ReviewStatus.IN_PROGRESS),
        "open": OPEN,
        "completed": Q(status=ReviewStatus.COMPLETED),
    }[state]


def _users(request):
    return get_user_model().objects.filter(is_active=True).order_by("username")


class ModelReviewFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    state = django_filters.ChoiceFilter(choices=STATES, method="filter_state", label="State")
    model = django_filters.ModelChoiceFilter(queryset=DeploymentModel.objects.order_by("name", "-version"))
    kind = django_filters.ChoiceFilter(choices=ReviewKind.choices)
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)
    decision = django_filters.ChoiceFilter(choices=ReviewDecision.choices)
    facilitator = django_filters.ModelChoiceFilter(queryset=_users)
    mine = django_filters.BooleanFilter(method="filter_mine", label="Facilitated by me or with me")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("due_date", "due_date"),
            ("status", "status"),
            ("kind", "kind"),
            ("model__name", "model"),
            ("completed_at", "completed_at"),
        ),
        label="Sort by",
    )

    class Meta:
        model = ModelReview
        fields = ["q", "state", "model", "kind", "status", "decision", "facilitator", "mine"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(model__name__icontains=value) | Q(findings__icontains=value) | Q(reason__icontains=value)
        )

    def filter_state(self, queryset, name, value):
        return queryset.filter(state_q(value)) if value else queryset

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None or not user.is_authenticated:
            return queryset
        taking_part = ModelReview.participants.through.objects.filter(user=user).values("modelreview_id")
        mine = Q(facilitator=user) | Q(pk__in=taking_part)
        return queryset.filter(mine) if value else queryset.exclude(mine)


class ImprovementInitiativeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    status = django_filters.ChoiceFilter(choices=InitiativeStatus.choices)
    open = django_filters.BooleanFilter(method="filter_open", label="Open")
    owner = django_filters.ModelChoiceFilter(queryset=_users)
    review = django_filters.NumberFilter(field_name="review_id")
    model = django_filters.ModelChoiceFilter(
        field_name="review__model", queryset=DeploymentModel.objects.order_by("name", "-version")
    )
    mine = django_filters.BooleanFilter(method="filter_mine", label="Owned by me")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("status", "status"), ("title", "title"), ("closed_at", "closed_at")),
        label="Sort by",
    )

    class Meta:
        model = ImprovementInitiative
        fields = ["q", "status", "open", "owner", "review", "model", "mine"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value) | Q(change_request_ref__icontains=value) | Q(description__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        closed = Q(status__in=[InitiativeStatus.DONE, InitiativeStatus.DROPPED])
        if value is None:
            return queryset
        return queryset.exclude(closed) if value else queryset.filter(closed)

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(owner=user) if value else queryset.exclude(owner=user)
