"""The audit findings of an audit pack: the findings raised in its period that the exporter may read, and their
status history, as CSV rows."""

from collections.abc import Iterator

from django.utils import timezone

from apps.audit.filters import period_bounds
from apps.reports.findings.selectors import finding_list
from apps.reports.models import FindingEvent

FINDING_HEADER = [
    "id",
    "reference",
    "subject_type",
    "subject_id",
    "subject",
    "severity",
    "title",
    "description",
    "owner",
    "due_date",
    "status",
    "raised_by",
    "raised_at",
]
FINDING_EVENT_HEADER = ["finding_id", "at", "actor", "channel", "from_status", "to_status", "reason"]


def pack_findings(*, user, params):
    """The findings raised in the pack's period (`from`–`to`; every one without), oldest first."""
    start, end = period_bounds(params)
    qs = finding_list(user=user)
    if start:
        qs = qs.filter(raised_at__gte=start)
    if end:
        qs = qs.filter(raised_at__lt=end)
    return qs.order_by("raised_at", "id")


def _iso(value) -> str:
    return timezone.localtime(value).isoformat() if value else ""


def finding_rows(findings) -> Iterator[tuple]:
    for f in findings.iterator(chunk_size=1000):
        yield (
            f.pk,
            f.reference,
            f.subject_type,
            f.subject_id,
            str(f.subject),
            f.severity,
            f.title,
            f.description,
            f.owner.get_username(),
            f.due_date.isoformat(),
            f.status,
            f.raised_by.get_username(),
            _iso(f.raised_at),
        )


def finding_event_rows(findings) -> Iterator[tuple]:
    events = (
        FindingEvent.objects.filter(finding__in=findings.values("pk"))
        .select_related("actor")
        .order_by("finding_id", "at", "id")
    )
    for e in events.iterator(chunk_size=1000):
        yield (
            e.finding_id,
            _iso(e.at),
            e.actor.get_username() if e.actor else "system",
            e.channel,
            e.from_status,
            e.to_status,
            e.reason,
        )
