"""The one FilterSet of the deployment register, used by the HTML list, the API, the exports and the calendar."""

import copy
import re

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from apps.catalog.models import Service, Supplier
from apps.deployment_models.models import DeploymentModel, Trigger
from apps.deployments.models import Action, Deployment
from apps.deployments.workflow import Status
from apps.environments.models import Environment, EnvironmentKind

REFERENCE_RE = re.compile(r"(?i)DEP-\d{6,}")


def search_text(value) -> str:
    """The register's search text as searched: stripped, at most 200 characters ("" for none)."""
    return (value or "").strip()[:200]


ORDERING = [
    ("planned_start", "planned_start"),
    ("reference", "reference"),
    ("title", "title"),
    ("status", "status"),
    ("environment__order", "environment"),
    ("service__name", "service"),
    ("created_at", "created_at"),
    ("actual_end", "actual_end"),
    ("risk_score", "risk_score"),
]


class DeploymentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_text", label="Text")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    action = django_filters.ChoiceFilter(choices=Action.choices)
    trigger = django_filters.ChoiceFilter(choices=Trigger.choices)
    environment = django_filters.ModelChoiceFilter(queryset=Environment.objects.all())
    environment_kind = django_filters.ChoiceFilter(field_name="environment__kind", choices=EnvironmentKind.choices)
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all())
    model = django_filters.ModelChoiceFilter(queryset=DeploymentModel.objects.all())
    supplier = django_filters.ModelChoiceFilter(queryset=Supplier.objects.all())
    requester = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    practitioner = django_filters.ModelChoiceFilter(
        field_name="practitioners", queryset=get_user_model().objects.all(), label="Practitioner"
    )
    planned_from = django_filters.IsoDateTimeFilter(field_name="planned_end", lookup_expr="gte", label="Planned from")
    planned_to = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="lt", label="Planned to")
    external_id = django_filters.CharFilter()
    change_ref = django_filters.CharFilter(method="filter_change_ref", label="Change record")
    released = django_filters.BooleanFilter(
        method="filter_released",
        label="Released to users",
        help_text="true: released; false: completed deployments not yet released (deployed, not released).",
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING)

    class Meta:
        model = Deployment
        fields = [
            "q",
            "status",
            "action",
            "trigger",
            "environment",
            "service",
            "model",
            "supplier",
            "requester",
            "practitioner",
        ]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter deep-copies every filter (and the querysets in them) for each request; a filter is
        # configuration that filtering only reads, so a shallow copy that knows its filter set is enough
        base, self.base_filters = self.base_filters, {}
        super().__init__(data, queryset, request=request, prefix=prefix)
        del self.base_filters
        model = self.queryset.model
        self.filters = {name: copy.copy(f) for name, f in base.items()}
        for filter_ in self.filters.values():
            filter_.model, filter_.parent = model, self
            if filter_.method is not None:
                filter_.method = filter_.method  # its FilterMethod, bound to this copy (and so to this filter set)

    def get_form_class(self):
        """The filter form class, made once per process for each FilterSet class: its fields come from the
        filters' declarations alone (no choices from a request), where django-filter makes a new class with new
        fields on every request. Each form still deep-copies the fields it is given, so a view may change them."""
        cls = type(self)
        form_class = cls.__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class = form_class
        return form_class

    def text_search(self) -> tuple[QuerySet, str]:
        """(the queryset filtered by everything but the text, the text `filter_text` searches titles for): "" when
        there is no text or it is a reference. The register reads a text search's page through its own index
        (search.py), with the same predicate as `filter_text`; call after `qs`."""
        data = dict(getattr(self.form, "cleaned_data", {}))
        term = search_text(data.pop("q", ""))
        if not term or REFERENCE_RE.fullmatch(term):
            return self.qs, ""
        queryset = self.queryset
        for name, value in data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset, term

    def filter_released(self, queryset, name, value):
        """Released to users, or completed and not yet released ("deployed, not released")."""
        if value is None:
            return queryset
        if value:
            return queryset.filter(released_at__isnull=False)
        return queryset.filter(status=Status.COMPLETED, released_at__isnull=True).exclude(action=Action.REMOVE)

    def filter_change_ref(self, queryset, name, value):
        """The deployments authorised by one change (exact, indexed; the reference as the change record spells it)."""
        value = value.strip()[:100]
        return queryset.filter(change_ref=value) if value else queryset

    def filter_text(self, queryset, name, value):
        """A reference finds that deployment; anything else searches titles (a trigram index on PostgreSQL) and
        change records."""
        value = search_text(value)
        if not value:
            return queryset
        if REFERENCE_RE.fullmatch(value):
            return queryset.filter(reference=value.upper())
        return queryset.filter(Q(title__icontains=value) | Q(change_ref=value))
