"""One FilterSet per list (environments, freeze windows, maintenance windows), shared by the pages and the API."""

import django_filters
from django.db.models import Q

from apps.environments.models import Environment, EnvironmentKind, FreezeWindow, MaintenanceWindow, Recurrence


class EnvironmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=EnvironmentKind.choices)
    controlled = django_filters.BooleanFilter()
    allows_parallel_deployments = django_filters.BooleanFilter()
    requires_maintenance_window = django_filters.BooleanFilter()
    is_active = django_filters.BooleanFilter(label="Active")
    ordering = django_filters.OrderingFilter(
        fields=(("order", "order"), ("name", "name"), ("slug", "slug"), ("kind", "kind"), ("controlled", "controlled")),
        label="Sort by",
    )

    class Meta:
        model = Environment
        fields = ["q", "kind", "controlled", "allows_parallel_deployments", "requires_maintenance_window", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value) | Q(purpose__icontains=value))


class _WindowFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    recurrence = django_filters.ChoiceFilter(choices=Recurrence.choices)
    environment = django_filters.ModelChoiceFilter(queryset=Environment.objects.all())
    ordering = django_filters.OrderingFilter(
        fields=(("start", "start"), ("end", "end"), ("name", "name"), ("environment__order", "environment")),
        label="Sort by",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            is_select = hasattr(field, "choices")
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if is_select else "form-control form-control-sm"
            )

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value)


class FreezeWindowFilterSet(_WindowFilterSet):
    all_environments = django_filters.BooleanFilter(
        field_name="environment", lookup_expr="isnull", label="Applies to every environment"
    )
    applies_to = django_filters.ModelChoiceFilter(
        queryset=Environment.objects.all(),
        method="filter_applies_to",
        label="Applies to environment",
        help_text="The environment's own windows and the all-environment ones.",
    )

    class Meta:
        model = FreezeWindow
        fields = ["q", "environment", "all_environments", "applies_to", "recurrence"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(reason__icontains=value))

    def filter_applies_to(self, queryset, name, value: Environment):
        return queryset.filter(Q(environment=value) | Q(environment__isnull=True))


class MaintenanceWindowFilterSet(_WindowFilterSet):
    class Meta:
        model = MaintenanceWindow
        fields = ["q", "environment", "recurrence"]
