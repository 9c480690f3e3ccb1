"""The KPIs of DESIGN.md §3 over the deployments a user may see: values, trends and drill-downs.

Values and trends are read from the daily rollup (kpi_rollup), drill-downs list the deployments themselves; the
metric table is in kpi_metrics, the SQL building blocks in kpi_sql."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from apps.catalog.models import Service
from apps.core.permissions import user_can
from apps.deployment_models.models import DeploymentModel
from apps.deployments.models import AlignmentRating, Deployment, Feedback
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
    AUTOMATION_LEVELS,
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
    has_alignment_rating,
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
from apps.reports.selectors.kpi_sql import SecondsBetween, percentiles

# --- the base queryset ---------------------------------------------------------------------------------------


def kpi_base(
    *, user, environment=None, service=None, model=None, supplier=None, automation_level=None
) -> QuerySet[Deployment]:
    """The deployments the user's KPIs are computed over: those they may see, and for service and product owners
    only those of their services (DESIGN.md §1); then the filters (`automation_level`: a key of AUTOMATION_LEVELS,
    matched on the deployment's model). PermissionDenied without `reports.view_kpis`."""
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
    if automation_level:
        qs = qs.filter(model__automation_level__in=AUTOMATION_LEVELS[automation_level])
    return qs.order_by()


def kpi_rows(
    *, user, period: Period, environment=None, service=None, model=None, supplier=None, automation_level=None
) -> QuerySet:
    """The daily rollup rows the user's KPIs are read from: the same scope and filters as kpi_base."""
    if not user_can(user, VIEW_KPIS):
        raise PermissionDenied("Only deployment managers, service and product owners and auditors see KPIs.")
    scope = kpi_services(user=user) if deployment_visible_q(user) is not None else None
    rows = rollup_rows(
        first=period.first,
        last=period.last,
        services=scope,
        environment=environment,
        service=service,
        model=model,
        supplier=supplier,
    )
    if automation_level:
        levels = AUTOMATION_LEVELS[automation_level]
        rows = rows.filter(model_id__in=DeploymentModel.objects.filter(automation_level__in=levels).values("pk"))
    return rows


def kpi_services(*, user) -> QuerySet[Service]:
    """The services whose KPIs the user may see."""
    if deployment_visible_q(user) is None:
        return Service.objects.all()
    return Service.objects.filter(Q(owners=user) | Q(product_owners=user)).distinct()


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=DEFAULT_DAYS), today)


# --- the report ----------------------------------------------------------------------------------------------


def released_completed(period: Period) -> Q:
    """Completed in the period and released to users since (a removal is never released)."""
    return period.finished() & COMPLETED & Q(released_at__isnull=False)


def _release_lag(base: QuerySet, period: Period, completed: int) -> KpiValue:
    """Median hours from the end of a deployment to its release, over the completed deployments released since."""
    qs = base.filter(released_completed(period))
    n, values = percentiles(qs, SecondsBetween(F("released_at"), F("actual_end")), (0.5,)).get(0, (0, {}))
    return _value("release_lag_median_hours", _hours(values.get(0.5)), n, completed)


def _value(key: str, value, numerator=None, denominator=None) -> KpiValue:
    return KpiValue(METRICS[key], value, numerator, denominator)


def findings_in_scope_q(
    base: QuerySet,
    *,
    user,
    period: Period,
    environment=None,
    service=None,
    model=None,
    supplier=None,
    automation_level=None,
) -> Q:
    """The audit findings a KPI counts: raised in the period, about a deployment of `base`; and, for a user who sees
    every deployment and chose no environment, service or supplier, about the models (or the chosen model, or the
    models of the chosen automation level) and their reviews."""
    raised = Q(raised_at__gte=period.start, raised_at__lt=period.end)
    if deployment_visible_q(user) is not None or any(f is not None for f in (environment, service, supplier)):
        return raised & Q(deployment__in=base.values("pk"))
    if model is None and not automation_level:
        return raised
    models = DeploymentModel.objects.all()
    if model is not None:
        models = models.filter(pk=_pk(model))
    if automation_level:
        models = models.filter(automation_level__in=AUTOMATION_LEVELS[automation_level])
    models = models.values("pk")
    return raised & (Q(deployment__in=base.values("pk")) | Q(model__in=models) | Q(review__model__in=models))


def _findings_value(base: QuerySet, *, user, period: Period, **filters) -> KpiValue:
    """Real findings of the register, counted by severity in one query."""
    q = findings_in_scope_q(base, user=user, period=period, **filters)
    counts = findings_by_severity(AuditFinding.objects.filter(q))
    total = counts.pop("total")
    return KpiValue(METRICS["audit_findings"], total, total, None, breakdown=counts)


def _model_overrides(
    *, user, period: Period, environment=None, service=None, model=None, supplier=None, automation_level=None
) -> int:
    """Models activated in the period without a finished, evaluated pilot (a manager's override): compliance
    exceptions of the practice as a whole, so counted for users who see every deployment and cut no narrower than
    by model."""
    if deployment_visible_q(user) is not None or any(f is not None for f in (environment, service, supplier)):
        return 0
    qs = DeploymentModel.objects.filter(pilot_overridden_at__gte=period.start, pilot_overridden_at__lt=period.end)
    if automation_level:
        qs = qs.filter(automation_level__in=AUTOMATION_LEVELS[automation_level])
    return (qs.filter(pk=_pk(model)) if model is not None else qs).count()


@cached_kpi(VIEW_KPIS)
def kpi_report(
    *,
    user,
    start: dt.date,
    end: dt.date,
    environment=None,
    service=None,
    model=None,
    supplier=None,
    automation_level=None,
) -> KpiReport:
    """Every KPI of DESIGN.md §3 over the deployments `user` may see, for the days start..end (inclusive).

    Read from the daily rollup (one aggregate, two sketch reads); the backlog, the audit findings, the rate-of-change
    and alignment ratings and the release lag from indexed queries: the cost follows the number of rollup rows, not
    of deployments. Rates are percentages with one decimal, hours and ratings have two; a metric whose denominator
    is 0 has the value None ("no data")."""
    filters = {
        "environment": environment,
        "service": service,
        "model": model,
        "supplier": supplier,
        "automation_level": automation_level,
    }
    base = kpi_base(user=user, **filters)
    period = Period(start, end)
    rows = kpi_rows(user=user, period=period, **filters)
    c = rollup_totals(rows)
    lead = lead_time_quantiles(rows)
    ttr = restore_median(rows)
    backlog = base.filter(status=Status.APPROVED).count()
    finished_pks = base.filter(period.finished()).values("pk")
    rate = Feedback.objects.filter(deployment__in=finished_pks).aggregate(
        n=Count("rating_rate_of_change"), total=Sum("rating_rate_of_change")
    )
    al = AlignmentRating.objects.filter(deployment__in=finished_pks, answered_at__isnull=False).aggregate(
        n=Count("pk"), total=Sum("rating")
    )
    weeks = round(period.weeks, 4)
    fb_n, fb_lead, fb_quality = c["feedback_n"], c["feedback_lead_sum"], c["feedback_quality_sum"]
    overrides = c["overrides"] + _model_overrides(user=user, period=period, **filters)
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
        _value("partner_alignment", _ratio(al["total"] or 0, al["n"]), al["total"] or 0, al["n"]),
        _value("satisfaction_rate_of_change", _ratio(rate["total"] or 0, rate["n"]), rate["total"] or 0, rate["n"]),
        _value("model_adoption_rate", _pct(c["agreed"], c["planned"]), c["agreed"], c["planned"]),
        _value("compliance_exceptions", overrides, overrides, c["planned"]),
        _findings_value(base, user=user, period=period, **filters),
        _value("deployment_frequency_per_week", _ratio(c["prod_completed"], period.weeks), c["prod_completed"], weeks),
        _value(
            "change_failure_rate",
            _pct(c["prod_change_failures"], c["prod_finished"]),
            c["prod_change_failures"],
            c["prod_finished"],
        ),
        _value("time_to_restore_median_hours", _hours(ttr), c["prod_restore_n"], c["prod_restore_failures"]),
        _release_lag(base, period, c["completed"]),
    ]
    return KpiReport(
        period=period,
        filters={k: (v or None) if k == "automation_level" else _pk(v) for k, v in filters.items()},
        values={v.metric.key: v for v in values},
    )


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
    automation_level=None,
) -> list[TrendPoint]:
    """Success rate, completions and median lead time per week or month of the period, from the daily rollup
    (a grouped sum by day and the days' lead time sketches)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    period = Period(start, end)
    rows = kpi_rows(
        user=user,
        period=period,
        environment=environment,
        service=service,
        model=model,
        supplier=supplier,
        automation_level=automation_level,
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


HEADLINE = ("success_rate", "throughput_per_week", "lead_time_median_hours", "change_failure_rate", "backlog")


@cached_kpi(VIEW_KPIS)
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
