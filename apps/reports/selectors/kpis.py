"""The KPI report of DESIGN.md §3 over the deployments a user may see, and the dashboard's headline figures.

Values are read from the daily rollup (kpi_rollup); the scope and filters are built in kpi_scope, the metric table is
in kpi_metrics, the SQL building blocks in kpi_sql; trends are in kpi_trend, drill-downs in kpi_drilldown."""

import datetime as dt
from dataclasses import replace

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from apps.deployment_models.models import DeploymentModel
from apps.deployments.models import LEVEL_KEYS
from apps.deployments.selectors.visibility import sees_all_deployments
from apps.reports.findings.selectors import findings_by_severity
from apps.reports.models import AuditFinding
from apps.reports.permissions import VIEW_KPIS
from apps.reports.selectors.kpi_cache import cached_kpi
from apps.reports.selectors.kpi_metrics import (
    API_METRICS,
    AUTOMATION_LEVELS,
    METRICS,
    KpiReport,
    KpiValue,
    Period,
    _hours,
    _pct,
    _ratio,
)
from apps.reports.selectors.kpi_rollup import (
    lead_time_quantiles,
    level_rows,
    release_median,
    restore_median,
    rollup_totals,
    scope_totals,
    sketch_quantiles_of,
)
from apps.reports.selectors.kpi_scope import (
    automation_models,
    findings_in_scope_q,
    kpi_backlog,
    kpi_base,
    kpi_rows,
    pk_of,
)

# --- the report ----------------------------------------------------------------------------------------------


def _value(key: str, value, numerator=None, denominator=None) -> KpiValue:
    return KpiValue(METRICS[key], value, numerator, denominator)


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
    if not sees_all_deployments(user=user) or any(f is not None for f in (environment, service, supplier)):
        return 0
    qs = DeploymentModel.objects.filter(pilot_overridden_at__gte=period.start, pilot_overridden_at__lt=period.end)
    if automation_level:
        qs = qs.filter(automation_level__in=AUTOMATION_LEVELS[automation_level])
    return (qs.filter(pk=pk_of(model)) if model is not None else qs).count()


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

    Read from the rollups (one aggregate and three sketch reads, over the coarsest rows that cover the period); the
    backlog and the audit findings from indexed queries: the cost follows the number of rollup rows, not of
    deployments. Rates are percentages with one decimal, hours
    and ratings have two; a metric whose denominator is 0 has the value None ("no data")."""
    filters = {
        "environment": environment,
        "service": service,
        "model": model,
        "supplier": supplier,
        "automation_level": automation_level,
    }
    base = kpi_base(user=user, **filters)
    period = Period(start, end)
    scope = kpi_rows(user=user, period=period, **filters)
    c = scope_totals(scope)
    lead = lead_time_quantiles(scope.parts(environments=False, models=False))
    ttr = restore_median(scope.parts(models=False))
    lag = release_median(scope.parts(environments=False, models=False))
    backlog = kpi_backlog(base, user=user, **filters)
    rate = {"n": c["rate_n"], "total": c["rate_sum"]}
    al = {"n": c["alignment_n"], "total": c["alignment_sum"]}
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
        _value("release_lag_median_hours", _hours(lag), c["release_n"], c["completed"]),
    ]
    return KpiReport(
        period=period,
        filters={k: (v or None) if k == "automation_level" else pk_of(v) for k, v in filters.items()},
        values={v.metric.key: v for v in values},
    )


HEADLINE = ("success_rate", "throughput_per_week", "lead_time_median_hours", "change_failure_rate", "backlog")


@cached_kpi(VIEW_KPIS)
def kpi_headline(*, user, start: dt.date, end: dt.date) -> dict[str, KpiValue]:
    """The dashboard's headline KPIs (HEADLINE) — the same definitions as kpi_report, from the rollups."""
    period = Period(start, end)
    scope = kpi_rows(user=user, period=period)
    c = scope_totals(scope)
    lead = lead_time_quantiles(scope.parts(environments=False, models=False), (0.5,))
    backlog = kpi_backlog(kpi_base(user=user), user=user)
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


# The main figures split side by side by automation level (manual | automated) on the KPI page.
SPLIT_METRICS = (
    "success_rate",
    "change_failure_rate",
    "incident_rate",
    "schedule_adherence",
    "lead_time_median_hours",
    "throughput_per_week",
)


@cached_kpi(VIEW_KPIS)
def kpi_split(
    *,
    user,
    start: dt.date,
    end: dt.date,
    levels: tuple[str, ...] = ("manual", "automated"),
    environment=None,
    service=None,
    model=None,
    supplier=None,
) -> dict[str, dict[str, KpiValue]]:
    """{level: {metric: value}} of SPLIT_METRICS for each automation level of `levels` (keys of AUTOMATION_LEVELS,
    not overlapping) — the values kpi_report gives with that `automation_level`, in one grouped pass over the
    rollup rows: the counts grouped by the level of each row's model, the lead time sketches from the levels' own
    rows (or, when a model of these levels changed level since it was filed, grouped per model like the counts)."""
    period = Period(start, end)
    filters = {"environment": environment, "service": service, "model": model, "supplier": supplier}
    scope = kpi_rows(user=user, period=period, **filters)
    # a row of a model of the level now, or a level row of it (read when no model of these levels changed level)
    whens = [
        When(Q(model_id__in=automation_models(level).values("pk")) | Q(model_id=LEVEL_KEYS[level]), then=Value(level))
        for level in levels
    ]

    def level_of(_qs):
        return Case(*whens, default=Value(""), output_field=CharField())

    keys = level_rows(levels) if model is None else ()
    if keys:  # the levels' own rows
        by_level = replace(scope, levels=keys)
        totals = scope_totals(by_level, group=level_of)
        parts = [qs.filter(lead_n__gt=0) for qs in by_level.parts(environments=False, models=False)]
    else:  # the rows per model, grouped by the level of each model now
        totals = rollup_totals(scope.parts(), group=level_of)
        parts = [qs.filter(lead_n__gt=0) for qs in scope.parts(environments=False)]
    medians = sketch_quantiles_of(parts, "lead_sketch", group=level_of)
    weeks = round(period.weeks, 4)
    split = {}
    for level in levels:
        c = totals.get(level) or rollup_totals([])
        lead = medians.get(level, (0, {}))[1]
        values = [
            _value("success_rate", _pct(c["completed"], c["finished"]), c["completed"], c["finished"]),
            _value(
                "change_failure_rate",
                _pct(c["prod_change_failures"], c["prod_finished"]),
                c["prod_change_failures"],
                c["prod_finished"],
            ),
            _value("incident_rate", _pct(c["with_incidents"], c["finished"]), c["with_incidents"], c["finished"]),
            _value("schedule_adherence", _pct(c["on_schedule"], c["finished"]), c["on_schedule"], c["finished"]),
            _value("lead_time_median_hours", _hours(lead.get(0.5)), c["lead_n"]),
            _value("throughput_per_week", _ratio(c["completed"], period.weeks), c["completed"], weeks),
        ]
        split[level] = {v.metric.key: v for v in values}
    return split


__all__ = [
    "API_METRICS",
    "HEADLINE",
    "METRICS",
    "VIEW_KPIS",
    "KpiValue",
    "kpi_headline",
    "kpi_report",
    "kpi_split",
]
