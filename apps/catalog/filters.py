"""One FilterSet per catalog list, shared by the HTML lists and the API (the same parameters on both)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q

from apps.catalog.models import (
    ComponentSource,
    ComponentType,
    ComponentVersion,
    Criticality,
    Service,
    ServiceComponent,
    Supplier,
    SupplierKind,
)

User = get_user_model()


def _owners(request=None):
    return User.objects.filter(owned_services__isnull=False).distinct().order_by("username")


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    criticality = django_filters.MultipleChoiceFilter(choices=Criticality.choices)
    owner = django_filters.ModelChoiceFilter(field_name="owners", queryset=_owners, label="Owner")
    product_owner = django_filters.NumberFilter(field_name="product_owners", label="Product owner (user id)")
    is_active = django_filters.BooleanFilter()
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only services I own")
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("criticality_rank", "criticality"), ("component_count", "components")),
        label="Sort by",
    )

    class Meta:
        model = Service
        fields = ["q", "criticality", "owner", "product_owner", "is_active", "mine"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(description__icontains=value) | Q(slug__icontains=value)
        ).distinct()

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if not value or user is None or not user.is_authenticated:
            return queryset
        return queryset.filter(Q(owners=user) | Q(product_owners=user)).distinct()


class ComponentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.order_by("name"))
    type = django_filters.MultipleChoiceFilter(choices=ComponentType.choices)
    source = django_filters.MultipleChoiceFilter(choices=ComponentSource.choices)
    supplier = django_filters.ModelChoiceFilter(field_name="suppliers", queryset=Supplier.objects.order_by("name"))
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("service__name", "service"), ("type", "type"), ("created_at", "created")),
    )

    class Meta:
        model = ServiceComponent
        fields = ["q", "service", "type", "source", "supplier"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value)) if value else queryset


class ComponentVersionFilterSet(django_filters.FilterSet):
    component = django_filters.ModelChoiceFilter(queryset=ServiceComponent.objects.all())
    service = django_filters.NumberFilter(field_name="component__service")
    version = django_filters.CharFilter(field_name="version")
    checksum = django_filters.CharFilter(method="filter_checksum")
    repository_ref = django_filters.CharFilter(field_name="repository_ref", lookup_expr="icontains")
    ordering = django_filters.OrderingFilter(
        fields=(("version", "version"), ("created_at", "created"), ("component__name", "component")),
    )

    class Meta:
        model = ComponentVersion
        fields = ["component", "service", "version", "checksum", "repository_ref"]

    def filter_checksum(self, queryset, name, value):
        return queryset.filter(checksum=value.strip().lower())


class SupplierFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    kind = django_filters.MultipleChoiceFilter(choices=SupplierKind.choices)
    component = django_filters.NumberFilter(field_name="components", label="Component (id)")
    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("kind", "kind"), ("component_count", "components")),
    )

    class Meta:
        model = Supplier
        fields = ["q", "kind", "component"]

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(contract_ref__icontains=value) | Q(contacts__icontains=value)
        )
