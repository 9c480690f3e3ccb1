"""One FilterSet per list of deployment models, stages and responsibilities, shared by the pages and the API."""

import django_filters
from django.db.models import Q

from apps.catalog.models import ComponentSource, ComponentType
from apps.deployment_models.models import (
    AutomationLevel,
    DeploymentModel,
    ModelStage,
    ModelStatus,
    Raci,
    Responsibility,
)


class DeploymentModelFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    status = django_filters.ChoiceFilter(choices=ModelStatus.choices)
    automation_level = django_filters.ChoiceFilter(choices=AutomationLevel.choices)
    component_type = django_filters.ChoiceFilter(
        choices=ComponentType.choices, method="filter_json_list", field_name="component_types"
    )
    source = django_filters.ChoiceFilter(
        choices=ComponentSource.choices, method="filter_json_list", field_name="component_sources"
    )
    name = django_filters.CharFilter(lookup_expr="iexact")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("version", "version"),
            ("status", "status"),
            ("automation_level", "automation_level"),
            ("next_review_due", "next_review_due"),
            ("updated_at", "updated_at"),
        ),
        label="Sort by",
    )

    class Meta:
        model = DeploymentModel
        fields = ["q", "status", "automation_level", "component_type", "source", "name"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_json_list(self, queryset, name, value):
        # JSON `contains` is not available on SQLite; the quoted value inside the JSON text is exact enough.
        return queryset.filter(**{f"{name}__icontains": f'"{value}"'})


class ModelStageFilterSet(django_filters.FilterSet):
    ordering = django_filters.OrderingFilter(fields=(("order", "order"), ("model", "model")))

    class Meta:
        model = ModelStage
        fields = ["model", "environment", "pre_approved", "requires_service_owner_approval", "requires_change_ref"]


class ResponsibilityFilterSet(django_filters.FilterSet):
    raci = django_filters.ChoiceFilter(choices=Raci.choices)
    activity = django_filters.CharFilter(lookup_expr="icontains")
    role = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Responsibility
        fields = ["model", "raci", "activity", "role"]
