"""The home page's dashboard: headline KPI tiles with 12-week sparklines and today's and this week's deployments — in
a constant number of queries, each on an indexed date range. (The approvals waiting for the user are one of the home
page's next actions, apps.deployments.home, not repeated here.)"""

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.core.permissions import user_can
from apps.deployments.selectors.visibility import deployment_list
from apps.deployments.workflow import NOT_SCHEDULED
from apps.reports import charts
from apps.reports.selectors.kpi_trend import kpi_trend
from apps.reports.selectors.kpis import HEADLINE, VIEW_KPIS, kpi_headline
from apps.reports.views.kpis import format_value

LIST_LIMIT = 8
TREND_WEEKS = 12
# what a row of reports/kpi_dashboard_list.html shows: fewer joins are cheaper for PostgreSQL to plan than to read
LIST_FIELDS = ("id", "reference", "title", "status", "planned_start", "service__name", "environment__name")


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return fallback


def _planned_between(user, start: dt.date, end: dt.date) -> tuple[list, bool]:
    """Up to LIST_LIMIT deployments planned to start in [start, end), soonest first, and whether there are more."""
    tz = timezone.get_current_timezone()
    rows = list(
        deployment_list(user=user, join=False)
        .filter(
            planned_start__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            planned_start__lt=dt.datetime.combine(end, dt.time.min, tzinfo=tz),
        )
        .exclude(status__in=NOT_SCHEDULED)
        .select_related("service", "environment")
        .only(*LIST_FIELDS)
        .order_by("planned_start", "id")[: LIST_LIMIT + 1]
    )
    return rows[:LIST_LIMIT], len(rows) > LIST_LIMIT


def _kpi_tiles(user, today: dt.date) -> dict:
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=TREND_WEEKS - 1)
    values = kpi_headline(user=user, start=first, end=today)
    points = kpi_trend(user=user, start=first, end=today, bucket="week")
    series = {
        "success_rate": ([p.success_rate for p in points], 100),
        "throughput_per_week": ([p.completed for p in points], None),
        "lead_time_median_hours": ([p.lead_time_median_hours for p in points], None),
    }
    query = f"from={first.isoformat()}&to={today.isoformat()}"
    tiles = []
    for key in HEADLINE:
        kpi = values[key]
        spark = None
        if key in series:
            data, top = series[key]
            spark = charts.sparkline(data, label=f"{kpi.metric.label}, last {TREND_WEEKS} weeks", y_max=top)
        tiles.append(
            {
                "kpi": kpi,
                "display": format_value(kpi),
                "sparkline": spark,
                "url": f"{reverse('reports:kpi_drilldown', args=[key])}?{query}",
            }
        )
    return {"tiles": tiles, "first": first, "last": today, "url": f"{reverse('reports:kpis')}?{query}"}


def dashboard_for(user) -> dict:
    """What `templates/reports/_dashboard.html` shows to `user`; KPI tiles only for holders of reports.view_kpis."""
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    today_rows, today_more = _planned_between(user, today, today + dt.timedelta(days=1))
    week_rows, week_more = _planned_between(user, monday, monday + dt.timedelta(days=7))
    return {
        "today": today_rows,
        "today_more": today_more,
        "week": week_rows,
        "week_more": week_more,
        "week_start": monday,
        "register_url": _url("deployments:deployment_list", "/deployments/"),
        "kpis": _kpi_tiles(user, today) if user_can(user, VIEW_KPIS) else None,
        "trend_weeks": TREND_WEEKS,
    }
