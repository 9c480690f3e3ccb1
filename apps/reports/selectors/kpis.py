"""The KPIs of DESIGN.md §3 over the deployments a user may see: values, trends and drill-downs.

Values and trends are read from the daily rollup (kpi_rollup), drill-downs list the deployments themselves; the
metric table is in kpi_metrics, the SQL building blocks in kpi_sql."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import DateField, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from apps.catalog.models import Service
from apps.core.permissions import user_can
from apps.deployments.models import Deployment
from apps.deployments.selectors import deployment_list, deployment_visible_q
from apps.deployments.sketch import sketch_quantiles
from apps.deployments.workflow import Status
from apps.reports.findings.selectors import findings_by_severity
from apps.reports.models import AuditFinding
from apps.reports.permissions import VIEW_KPIS
from apps.reports.selectors.kpi_cache import cached_kpi
from apps.reports.selectors.kpi_metrics import (
    AGREED_MODEL,
    API_METRICS,
    BUCKETS,
    COMPLETED,
    DEFAULT_DAYS,
    FAILED,
    METRICS,
    ON_SCHEDULE,
    PRODUCTION,
    KpiReport,
    KpiValue,
    Period,
    _hours,
    _pct,
    _ratio,
    has_feedback,
    has_incident,
    lead_seconds,
    restore_seconds,
)
from apps.reports.selectors.kpi_rollup import (
    lead_time_quantiles,
    merged_sketches,
    restore_median,
    rollup_rows,
    rollup_totals,
)
from apps.reports.selectors.kpi_sql import without_jit

# --- the base queryset ---------------------------------------------------------------------------------------


def kpi_base(*, user, environment=None, service=None, model=None, supplier=None) -> QuerySet[Deployment]:
    """The deployments the user's KPIs are computed over: those they may see, and for service and product owners
    only those of their services (DESIGN.md §1); then the filters. PermissionDenied without `reports.view_kpis`."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    qs = deployment_list(user=user).select_related(None)
    if deployment_visible_q(user) is not None:
        qs = qs.filter(service__in=kpi_services(user=user).values("pk"))
    if environment is not None:
        qs = qs.filter(environment=environment)
    if service is not None:
        qs = qs.filter(service=service)
    if model is not None:
        qs = qs.filter(model=model)
    if supplier is not None:
        qs = qs.filter(supplier=supplier)
    return qs.order_by()


def kpi_rows(*, user, period: Period, environment=None, service=None, model=None, supplier=None) -> QuerySet:
    """The daily rollup rows the user's KPIs are read from: the same scope and filters as kpi_base."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    scope = kpi_services(user=user) if deployment_visible_q(user) is not None else None
    return rollup_rows(
        first=period.first,
        last=period.last,
        services=scope,
        environment=environment,
        service=service,
        model=model,
        supplier=supplier,
    )


def kpi_services(*, user) -> QuerySet[Service]:
    """The services whose KPIs the user may see."""
    if deployment_visible_q(user) is None:
        return Service.objects.all()
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).distinct()


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=DEFAULT_DAYS), today)


# --- the report ----------------------------------------------------------------------------------------------


def _value(key: str, value, numerator=None, denominator=None) -> KpiValue:
    return KpiValue(METRICS[key], value, numerator, denominator)


def findings_in_scope_q(
    base: QuerySet, *, user, period: Period, environment=None, service=None, model=None, supplier=None
) -> Q:
    """The audit findings a KPI counts: raised in the period, about a deployment of `base`; and, for a user who sees
    every deployment and chose no environment or service, about the models (or the chosen model) and their reviews."""
    raised = Q(raised_at__gte=period.start, raised_at__lt=period.end)
    if deployment_visible_q(user) is not None or environment is not None or service is not None or supplier is not None:
        return raised & Q(deployment__in=base.values("pk"))
    if model is not None:
        return raised & (Q(deployment__in=base.values("pk")) | Q(model=model) | Q(review__model=model))
    return raised


def _findings_value(base: QuerySet, *, user, period: Period, environment, service, model, supplier=None) -> KpiValue:
    """Real findings of the register, counted by severity in one query."""
    q = findings_in_scope_q(
        base, user=user, period=period, environment=environment, service=service, model=model, supplier=supplier
    )
    counts = findings_by_severity(AuditFinding.objects.filter(q))
    total = counts.pop("total")
    return KpiValue(METRICS["audit_findings"], total, total, None, breakdown=counts)


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_report(
    *, user, start: dt.date, end: dt.date, environment=None, service=None, model=None, supplier=None
) -> KpiReport:
    """Every KPI of DESIGN.md §3 over the deployments `user` may see, for the days start..end (inclusive).

    Read from the daily rollup (one aggregate, two sketch reads), the backlog and the audit findings from two
    indexed counts: the cost follows the number of rollup rows, not of deployments. Rates are percentages with one
    decimal, hours and ratings have two; a metric whose denominator is 0 has the value None ("no data")."""
    filters = {"environment": environment, "service": service, "model": model, "supplier": supplier}
    base = kpi_base(user=user, **filters)
    period = Period(start, end)
    rows = kpi_rows(user=user, period=period, **filters)
    c = rollup_totals(rows)
    lead = lead_time_quantiles(rows)
    ttr = restore_median(rows)
    backlog = base.filter(status=Status.APPROVED).count()
    weeks = round(period.weeks, 4)
    fb_n, fb_lead, fb_quality = c["feedback_n"], c["feedback_lead_sum"], c["feedback_quality_sum"]
    values = [
        _value("success_rate", _pct(c["completed"], c["finished"]), c["completed"], c["finished"]),
        _value("failures", c["failed"], c["failed"], c["finished"]),
        _value("incident_rate", _pct(c["with_incidents"], c["finished"]), c["with_incidents"], c["finished"]),
        _value("schedule_adherence", _pct(c["on_schedule"], c["finished"]), c["on_schedule"], c["finished"]),
        _value("backlog", backlog, backlog),
        _value("throughput_per_week", _ratio(c["completed"], period.weeks), c["completed"], weeks),
        _value("lead_time_median_hours", _hours(lead.get(0.5)), c["lead_n"]),
        _value("lead_time_p90_hours", _hours(lead.get(0.9)), c["lead_n"]),
        _value("satisfaction_lead_time", _ratio(fb_lead, fb_n), fb_lead, fb_n),
        _value("satisfaction_quality", _ratio(fb_quality, fb_n), fb_quality, fb_n),
        _value("model_adoption_rate", _pct(c["agreed"], c["planned"]), c["agreed"], c["planned"]),
        _value("compliance_exceptions", c["overrides"], c["overrides"], c["planned"]),
        _findings_value(base, user=user, period=period, **filters),
        _value("deployment_frequency_per_week", _ratio(c["prod_completed"], period.weeks), c["prod_completed"], weeks),
        _value(
            "change_failure_rate",
            _pct(c["prod_change_failures"], c["prod_finished"]),
            c["prod_change_failures"],
            c["prod_finished"],
        ),
        _value("time_to_restore_median_hours", _hours(ttr), c["prod_restore_n"], c["prod_restore_failures"]),
    ]
    chosen = {key: _pk(value) for key, value in filters.items()}
    return KpiReport(period=period, filters=chosen, values={v.metric.key: v for v in values})


def _pk(obj):
    return getattr(obj, "pk", obj)


# --- trends --------------------------------------------------------------------------------------------------


@dataclass
class TrendPoint:
    start: dt.date
    finished: int = 0
    completed: int = 0
    lead_time_median_hours: float | None = None

    @property
    def success_rate(self) -> float | None:
        return _pct(self.completed, self.finished)


def _bucket_start(day: dt.date, bucket: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if bucket == "week" else day.replace(day=1)


def _next_bucket(day: dt.date, bucket: str) -> dt.date:
    if bucket == "week":
        return day + dt.timedelta(days=7)
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _as_date(value) -> dt.date:
    if isinstance(value, str):  # SQLite's dates through a raw cursor
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_trend(
    *,
    user,
    start: dt.date,
    end: dt.date,
    bucket: str = "week",
    environment=None,
    service=None,
    model=None,
    supplier=None,
) -> list[TrendPoint]:
    """Success rate, completions and median lead time per week or month of the period, from the daily rollup
    (a grouped sum by day and the days' lead time sketches)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    period = Period(start, end)
    rows = kpi_rows(
        user=user, period=period, environment=environment, service=service, model=model, supplier=supplier
    ).filter(finished__gt=0)
    points: dict[dt.date, TrendPoint] = {}
    day = _bucket_start(start, bucket)
    while day <= end:
        points[day] = TrendPoint(day)
        day = _next_bucket(day, bucket)
    for day, finished, completed in (
        rows.values("day").annotate(f=Sum("finished"), c=Sum("completed")).values_list("day", "f", "c")
    ):
        point = points.get(_bucket_start(day, bucket))
        if point is not None:
            point.finished += finished
            point.completed += completed
    trunc = (TruncWeek if bucket == "week" else TruncMonth)("day", output_field=DateField())
    for b, sketch in merged_sketches(rows.filter(lead_n__gt=0), "lead_sketch", group=trunc).items():
        point = points.get(_as_date(b))
        if point is not None:
            point.lead_time_median_hours = _hours(sketch_quantiles(sketch, (0.5,))[1].get(0.5))
    return list(points.values())


# --- drill-down ----------------------------------------------------------------------------------------------


def kpi_drilldown(
    *, user, metric: str, start: dt.date, end: dt.date, environment=None, service=None, model=None, supplier=None
) -> QuerySet[Deployment]:
    """The deployments behind a metric's numerator, with the same scope and filters; KeyError for unknown ones."""
    spec = METRICS[metric]
    base = kpi_base(user=user, environment=environment, service=service, model=model, supplier=supplier)
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
        "model_adoption_rate": p.planned() & AGREED_MODEL,
        "compliance_exceptions": p.planned() & Q(override_count__gt=0),
        "audit_findings": Q(
            pk__in=AuditFinding.objects.filter(
                findings_in_scope_q(
                    base,
                    user=user,
                    period=p,
                    environment=environment,
                    service=service,
                    model=model,
                    supplier=supplier,
                )
            )
            .filter(deployment__isnull=False)
            .values("deployment_id")
        ),
        "deployment_frequency_per_week": finished & PRODUCTION & COMPLETED,
        "change_failure_rate": finished & PRODUCTION & (FAILED | has_incident()),
        "time_to_restore_median_hours": finished & PRODUCTION & (FAILED | has_incident()),
    }
    qs = base.filter(numerators[spec.key]).select_related("environment", "service", "model")
    if spec.key.startswith("lead_time"):
        qs = qs.annotate(hours=lead_seconds() / 3600.0)
    elif spec.key == "time_to_restore_median_hours":
        qs = qs.annotate(hours=restore_seconds() / 3600.0).filter(hours__isnull=False)
    order = ["planned_start", "id"] if spec.key == "backlog" else ["-actual_end", "-id"]
    if spec.key in ("model_adoption_rate", "compliance_exceptions", "audit_findings"):
        order = ["-planned_start", "-id"]
    return qs.order_by(*order)


HEADLINE = ("success_rate", "throughput_per_week", "lead_time_median_hours", "change_failure_rate", "backlog")


@cached_kpi(VIEW_KPIS)
@without_jit
def kpi_headline(*, user, start: dt.date, end: dt.date) -> dict[str, KpiValue]:
    """The dashboard's headline KPIs (HEADLINE) — the same definitions as kpi_report, from the daily rollup."""
    period = Period(start, end)
    rows = kpi_rows(user=user, period=period)
    c = rollup_totals(rows)
    lead = lead_time_quantiles(rows, (0.5,))
    backlog = kpi_base(user=user).filter(status=Status.APPROVED).count()
    values = [
        _value("success_rate", _pct(c["completed"], c["finished"]), c["completed"], c["finished"]),
        _value("throughput_per_week", _ratio(c["completed"], period.weeks), c["completed"], round(period.weeks, 4)),
        _value("lead_time_median_hours", _hours(lead.get(0.5)), c["lead_n"]),
        _value(
            "change_failure_rate",
            _pct(c["prod_change_failures"], c["prod_finished"]),
            c["prod_change_failures"],
            c["prod_finished"],
        ),
        _value("backlog", backlog, backlog),
    ]
    return {v.metric.key: v for v in values}


__all__ = [
    "API_METRICS",
    "BUCKETS",
    "HEADLINE",
    "KpiValue",
    "METRICS",
    "TrendPoint",
    "VIEW_KPIS",
    "default_period",
    "kpi_base",
    "kpi_drilldown",
    "kpi_headline",
    "kpi_report",
    "kpi_rows",
    "kpi_services",
    "kpi_trend",
]
