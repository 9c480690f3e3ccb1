"""The FilterSet of the findings register, shared by its page, its API and the audit pack."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from apps.reports.models import AuditFinding, FindingStatus, Severity, SubjectType

MAX_ID = 2**63 - 1


def _users(request):
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AuditFindingFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text", max_length=200)
    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices, label="About a")
    subject_id = django_filters.NumberFilter(method="filter_subject_id", label="Subject id", min_value=1)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    status = django_filters.MultipleChoiceFilter(choices=FindingStatus.choices)
    owner = django_filters.ModelChoiceFilter(queryset=_users)
    raised_by = django_filters.ModelChoiceFilter(queryset=_users)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue (not closed, past due)")
    raised_after = django_filters.DateFilter(field_name="raised_at", lookup_expr="date__gte", label="Raised from")
    raised_before = django_filters.DateFilter(field_name="raised_at", lookup_expr="date__lte", label="Raised until")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("raised_at", "raised_at"),
            ("due_date", "due_date"),
            ("severity", "severity"),
            ("status", "status"),
        )
    )

    class Meta:
        model = AuditFinding
        fields = ["q", "subject_type", "subject_id", "severity", "status", "owner", "raised_by", "overdue"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_subject_id(self, queryset, name, value):
        if value != int(value) or value > MAX_ID:
            return queryset.none()
        pk = int(value)
        return queryset.filter(Q(deployment_id=pk) | Q(model_id=pk) | Q(review_id=pk))

    def filter_overdue(self, queryset, name, value):
        late = Q(due_date__lt=timezone.localdate()) & ~Q(status=FindingStatus.CLOSED)
        return queryset.filter(late) if value else queryset.exclude(late)
