"""Reads of the audit trail, scoped to what the reader may see."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from apps.audit.filters import AuditEntryFilterSet, as_querydict, period_bounds
from apps.audit.models import AuditCheckpoint, AuditEntry
from apps.core.permissions import user_can

VIEW_AUDIT = "audit.view_audit"


def audit_reader_services(user) -> QuerySet | None:
    """For a reader without `view_audit`: the services whose entries they may read, or None for no entries.

    Who owns which service is known only to the apps above this one; `settings.AUDIT_SERVICE_SCOPE` names the
    function (user → queryset of service ids, or None) that answers it."""
    path = getattr(settings, "AUDIT_SERVICE_SCOPE", "")
    return import_string(path)(user) if path else None


def audit_entry_may_read(user) -> bool:
    """May read some of the audit trail: everything with `view_audit`, or the entries of some services."""
    return user_can(user, VIEW_AUDIT) or audit_reader_services(user) is not None


def audit_entry_list(*, user, params=None) -> QuerySet[AuditEntry]:
    """Audit entries the user may read: all with `view_audit`; otherwise those of the services they own.
    Filtered by `params` (AuditEntryFilterSet and from/to); ValidationError when the filters are malformed."""
    if user_can(user, VIEW_AUDIT):
        qs = AuditEntry.objects.all()
    else:
        services = audit_reader_services(user)
        if services is None:
            return AuditEntry.objects.none()
        qs = AuditEntry.objects.filter(service_id__in=services)
    params = as_querydict(params)
    filterset = AuditEntryFilterSet(params or None, queryset=qs)
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({field: [str(e) for e in errs] for field, errs in filterset.errors.items()})
    qs = filterset.qs
    start, end = period_bounds(params)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lt=end)
    return qs


def audit_checkpoint_may_read(user) -> bool:
    """Checkpoints describe the whole chain, so they are for readers of all of it (`view_audit`)."""
    return user_can(user, VIEW_AUDIT)


def audit_checkpoint_list(*, user) -> QuerySet[AuditCheckpoint]:
    """Signed checkpoints, newest first; none for a reader without `view_audit`."""
    if not audit_checkpoint_may_read(user):
        return AuditCheckpoint.objects.none()
    return AuditCheckpoint.objects.order_by("-id")
