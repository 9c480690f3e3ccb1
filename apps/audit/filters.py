"""Filters of the audit trail: one FilterSet for the page, the audit-trail export and the audit-entries API."""

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.http import QueryDict

from apps.audit.context import CHANNELS
from apps.audit.models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    """Filters of the audit page, the audit-trail export and the audit-entries API."""

    object_type = django_filters.CharFilter()
    object_id = django_filters.CharFilter()
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact")
    channel = django_filters.ChoiceFilter(choices=CHANNELS)
    action = django_filters.CharFilter()
    service = django_filters.NumberFilter(field_name="service_id")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "channel", "action", "service"]


def as_querydict(params) -> QueryDict:
    """A QueryDict from a request's GET, or from the dict of lists an export job stored."""
    if isinstance(params, QueryDict):
        return params
    data = QueryDict(mutable=True)
    for key, values in (params or {}).items():
        data.setlist(key, values if isinstance(values, list) else [values])
    return data


def parse_day(value: str | None, field: str) -> dt.datetime | None:
    """A date (YYYY-MM-DD) or ISO date-time, as an aware UTC datetime; ValidationError when malformed."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({field: [f"“{value[:40]}” is not a date (YYYY-MM-DD)."]}) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def period_bounds(params) -> tuple[dt.datetime | None, dt.datetime | None]:
    """`from` and `to` of the query string as [start, end): `to` is inclusive of its whole day."""
    params = as_querydict(params)
    start = parse_day(params.get("from"), "from")
    end = parse_day(params.get("to"), "to")
    if end is not None and len((params.get("to") or "").strip()) == 10:
        end += dt.timedelta(days=1)
    if start and end and end <= start:
        raise ValidationError({"to": ["The end of the period must be after its start."]})
    return start, end
