"""Every permission-aware read of the findings register: auditors and managers read every finding, anyone else the
findings they own; what a user may not see is a 404."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from apps.core.permissions import is_signed_in, user_can
from apps.reports.findings.filters import AuditFindingFilterSet
from apps.reports.findings.workflow import ADD, VIEW
from apps.reports.models import AuditFinding, FindingEvent, Severity


def finding_list(*, user, filters=None, request=None) -> QuerySet[AuditFinding]:
    """The findings `user` may see, with the subject and people a row shows joined in (a constant query count)."""
    if not is_signed_in(user):
        return AuditFinding.objects.none()
    queryset = AuditFinding.objects.select_related("owner", "raised_by", "deployment", "model", "review__model")
    if not user_can(user, VIEW):
        queryset = queryset.filter(owner=user)
    if filters is not None:
        queryset = AuditFindingFilterSet(filters, queryset=queryset, request=request).qs
    return queryset


def finding_get(*, user, pk) -> AuditFinding:
    """One finding the user may see; 404 otherwise (or for an id that is not a number)."""
    pk = str(pk)
    if not (pk.isascii() and pk.isdigit()) or int(pk) > 2**63 - 1:  # "²" and "١٢" are digits to str.isdigit
        raise Http404("No such finding.")
    return get_object_or_404(finding_list(user=user), pk=int(pk))


def finding_events(*, finding: AuditFinding) -> QuerySet[FindingEvent]:
    """The finding's history, oldest first, with who made each change."""
    return finding.events.select_related("actor").order_by("at", "id")


def finding_subject_findings(*, user, subject_type: str, subject_id: int) -> QuerySet[AuditFinding]:
    """The findings about one deployment, model or review that `user` may see (for the subject's page)."""
    field = {"deployment": "deployment_id", "model": "model_id", "review": "review_id"}[subject_type]
    return finding_list(user=user).filter(**{field: subject_id})


def may_raise(user) -> bool:
    """Whether to draw "Raise finding" links for this user; the service checks again."""
    return user_can(user, ADD)


def findings_by_severity(queryset: QuerySet[AuditFinding]) -> dict[str, int]:
    """Counts per severity (every severity present, zero included) and the total, in one query."""
    counts = queryset.order_by().aggregate(
        total=Count("pk"), **{s: Count("pk", filter=Q(severity=s)) for s in Severity.values}
    )
    return {key: counts[key] or 0 for key in ("total", *Severity.values)}
