"""The KPI drill-downs of DESIGN.md §3: the deployments behind a metric's numerator, with the scope and filters of
kpi_scope (read from the deployments themselves, not the rollup)."""

import datetime as dt

from django.db.models import F, Q, QuerySet

from apps.deployments.models import Deployment
from apps.deployments.workflow import Status
from apps.reports.models import AuditFinding
from apps.reports.selectors.kpi_metrics import (
    AGREED_MODEL,
    COMPLETED,
    FAILED,
    METRICS,
    ON_SCHEDULE,
    PRODUCTION,
    Period,
    has_alignment_rating,
    has_feedback,
    has_incident,
    lead_seconds,
    restore_seconds,
)
from apps.reports.selectors.kpi_scope import findings_in_scope_q, kpi_base, released_completed
from apps.reports.selectors.kpi_sql import SecondsBetween


def kpi_drilldown(
    *,
    user,
    metric: str,
    start: dt.date,
    end: dt.date,
    environment=None,
    service=None,
    model=None,
    supplier=None,
    automation_level=None,
) -> QuerySet[Deployment]:
    """The deployments behind a metric's numerator, with the same scope and filters; KeyError for unknown ones."""
    spec = METRICS[metric]
    filters = {
        "environment": environment,
        "service": service,
        "model": model,
        "supplier": supplier,
        "automation_level": automation_level,
    }
    base = kpi_base(user=user, **filters)
    p = Period(start, end)
    finished = p.finished()
    numerators = {
        "success_rate": finished & COMPLETED,
        "failures": finished & FAILED,
        "incident_rate": finished & has_incident(),
        "schedule_adherence": finished & ON_SCHEDULE,
        "backlog": Q(status=Status.APPROVED),
        "throughput_per_week": finished & COMPLETED,
        "lead_time_median_hours": finished & COMPLETED & Q(submitted_at__isnull=False),
        "lead_time_p90_hours": finished & COMPLETED & Q(submitted_at__isnull=False),
        "satisfaction_lead_time": finished & has_feedback(),
        "satisfaction_quality": finished & has_feedback(),
        "partner_alignment": finished & has_alignment_rating(),
        "satisfaction_rate_of_change": finished & has_feedback(rating_rate_of_change__isnull=False),
        "model_adoption_rate": p.planned() & AGREED_MODEL,
        "compliance_exceptions": p.planned() & Q(override_count__gt=0),
        "audit_findings": Q(
            pk__in=AuditFinding.objects.filter(findings_in_scope_q(base, user=user, period=p, **filters))
            .filter(deployment__isnull=False)
            .values("deployment_id")
        ),
        "deployment_frequency_per_week": finished & PRODUCTION & COMPLETED,
        "change_failure_rate": finished & PRODUCTION & (FAILED | has_incident()),
        "time_to_restore_median_hours": finished & PRODUCTION & (FAILED | has_incident()),
        "release_lag_median_hours": released_completed(p),
    }
    qs = base.filter(numerators[spec.key]).select_related("environment", "service", "model")
    if spec.key.startswith("lead_time"):
        qs = qs.annotate(hours=lead_seconds() / 3600.0)
    elif spec.key == "time_to_restore_median_hours":
        qs = qs.annotate(hours=restore_seconds() / 3600.0).filter(hours__isnull=False)
    elif spec.key == "release_lag_median_hours":
        qs = qs.annotate(hours=SecondsBetween(F("released_at"), F("actual_end")) / 3600.0)
    order = ["planned_start", "id"] if spec.key == "backlog" else ["-actual_end", "-id"]
    if spec.key in ("model_adoption_rate", "compliance_exceptions", "audit_findings"):
        order = ["-planned_start", "-id"]
    return qs.order_by(*order)
