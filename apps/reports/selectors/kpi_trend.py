"""The KPI trends of DESIGN.md §3: success rate, completions and median lead time per week or month of a period,
read from the daily rollup with the scope and filters of kpi_scope."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.deployments.models import DeploymentPeriodRollup
from apps.reports.permissions import VIEW_KPIS
from apps.reports.selectors.kpi_cache import cached_kpi
from apps.reports.selectors.kpi_metrics import BUCKETS, Period, _hours, _pct
from apps.reports.selectors.kpi_rollup import TREND_GRAINS, rollup_totals, sketch_quantiles_of, trend_bucket
from apps.reports.selectors.kpi_scope import kpi_rows


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
    """Success rate, completions and median lead time per week or month of the period, from the rollups: a grouped
    sum, each whole bucket's own lead time median (one week or month row), and the merged day sketches of the partial
    buckets at the edges (or of every bucket, when a bucket is several rows: a level whose models changed level)."""
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {BUCKETS}")
    period = Period(start, end)
    scope = kpi_rows(
        user=user,
        period=period,
        environment=environment,
        service=service,
        model=model,
        supplier=supplier,
        automation_level=automation_level,
    )
    grains = TREND_GRAINS[bucket]
    parts = scope.parts(environments=False, models=False, grains=grains)
    points: dict[dt.date, TrendPoint] = {}
    day = _bucket_start(start, bucket)
    while day <= end:
        points[day] = TrendPoint(day)
        day = _next_bucket(day, bucket)
    group = trend_bucket(bucket)
    finished = [qs.filter(finished__gt=0) for qs in parts]
    for b, totals in rollup_totals(finished, group=group, kinds=("all",)).items():
        point = points.get(_as_date(b))
        if point is not None:
            point.finished += totals["finished"]
            point.completed += totals["completed"]
    leads = [qs.filter(lead_n__gt=0) for qs in parts]
    if scope.one_row_per_period(models=False):
        # a whole bucket is one row: its own median; only the days of the partial buckets at the edges are merged
        whole = [qs.filter(grain=grains[0]) for qs in leads if qs.model is DeploymentPeriodRollup]
        leads = [qs.exclude(grain=grains[0]) if qs.model is DeploymentPeriodRollup else qs for qs in leads]
        for qs in whole:
            for b, median in qs.values_list("start", "lead_median"):
                points[_as_date(b)].lead_time_median_hours = _hours(median)
    for b, (_n, values) in sketch_quantiles_of(leads, "lead_sketch", group=group).items():
        point = points.get(_as_date(b))
        if point is not None:
            point.lead_time_median_hours = _hours(values.get(0.5))
    return list(points.values())


__all__ = ["BUCKETS", "TrendPoint", "kpi_trend"]
