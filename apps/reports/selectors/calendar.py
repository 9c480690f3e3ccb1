"""The deployment calendar: month and week grids, freeze-window occurrences and conflicts."""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment, window_length
from apps.deployments.selectors.visibility import deployment_list
from apps.environments.models import Environment, FreezeWindow
from apps.environments.windows import window_occurrences
from apps.reports.selectors.calendar_conflicts import calendar_conflicts, partners_of
from apps.reports.selectors.calendar_days import day_counts, first_per_day

MONTH, WEEK = "month", "week"
CHIPS_SHOWN = 4  # deployments drawn per day (month) or per environment and day (week); "+N more" links the rest
# what a chip draws and the conflict check reads of a shown deployment (any other field would be read by a query a
# deployment): a month shows some 140, and the whole rows with the register's five joins (their JSON fields decoded,
# five related instances each) were a fifth of the page's time
CHIP_FIELDS = (
    "reference",
    "title",
    "status",
    "planned_start",
    "planned_end",
    "service",
    "environment__name",
    "environment__allows_parallel_deployments",
)
FEED_PAST = dt.timedelta(days=60)
FEED_FUTURE = dt.timedelta(days=365)
FEED_MAX_SPAN = dt.timedelta(days=731)  # a feed streams every deployment of its range: the range is bounded


@dataclass
class Occurrence:
    """One occurrence of a freeze window in the range."""

    window: FreezeWindow
    start: dt.datetime
    end: dt.datetime

    @property
    def scope(self) -> str:
        return self.window.environment.name if self.window.environment_id else "All environments"


@dataclass
class Day:
    date: dt.date
    in_month: bool = True
    is_today: bool = False
    deployments: list = field(default_factory=list)
    freezes: list = field(default_factory=list)
    count: int = 0  # every deployment of the day (or of the environment that day), shown or not
    more_url: str = ""  # the register filtered to that day (and environment)

    @property
    def more(self) -> int:
        return self.count - len(self.deployments)


@dataclass
class CalendarData:
    view: str
    anchor: dt.date
    start: dt.date  # first day shown
    end: dt.date  # day after the last day shown
    previous: dt.date
    next: dt.date
    title: str
    weeks: list[list[Day]]
    environments: list[Environment]
    by_environment: list  # (environment, [Day]) rows of the week view
    deployments: list[Deployment]  # the deployments shown, soonest first
    freezes: list[Occurrence]
    conflicts: dict[int, list[str]]  # deployment id -> reasons
    truncated: bool = False


def calendar_range(view: str, anchor: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date, str]:
    """First shown day, the day after the last one, previous and next anchors, and a title."""
    if view == WEEK:
        start = anchor - dt.timedelta(days=anchor.weekday())
        end = start + dt.timedelta(days=7)
        title = f"Week {start.isocalendar()[1]}, {start:%d %b} – {end - dt.timedelta(days=1):%d %b %Y}"
        return start, end, start - dt.timedelta(days=7), end, title
    first = anchor.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    start = first - dt.timedelta(days=first.weekday())
    last = following - dt.timedelta(days=1)
    end = last + dt.timedelta(days=7 - last.weekday())
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    return start, end, previous, following, f"{first:%B %Y}"


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def longest_window() -> dt.timedelta:
    """The longest planned window of any deployment (zero when none is longer): read from an index on PostgreSQL
    (migration 0023), so the deployments overlapping a range are those planned to start between the range's start,
    less this, and its end — read through the planned start's index instead of every row ever planned before."""
    longest = Deployment.objects.aggregate(longest=Max(window_length()))["longest"]
    return max(longest or dt.timedelta(0), dt.timedelta(0))


def _filterset(*, user, params) -> DeploymentFilterSet:
    """The register's FilterSet over the user's deployments; ValidationError when the filters are invalid."""
    filterset = DeploymentFilterSet(params or None, queryset=deployment_list(user=user))
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in filterset.errors.items()})
    return filterset


def _filtered(filterset, params) -> QuerySet:
    """The deployments the calendar's filters select: cancelled and rejected ones only when a status asks for them."""
    qs = filterset.qs
    if not (params and params.getlist("status")):
        qs = qs.exclude(status__in=workflow.HIDDEN_BY_DEFAULT)
    return qs


def _overlapping(filterset, params, start: dt.datetime, end: dt.datetime, longest: dt.timedelta) -> QuerySet:
    qs = _filtered(filterset, params)
    qs = qs.filter(planned_start__lt=end, planned_end__gt=start, planned_start__gte=start - longest)
    return qs.order_by("planned_start", "id")


def calendar_deployments(*, user, params, start: dt.datetime, end: dt.datetime) -> QuerySet[Deployment]:
    """Visible deployments planned to overlap [start, end), through the register's FilterSet (two queries: the
    longest window, then the deployments)."""
    return _overlapping(_filterset(user=user, params=params), params, start, end, longest_window())


def calendar_freezes(*, start: dt.datetime, end: dt.datetime, environment_ids=None) -> list[Occurrence]:
    """Occurrences of the freeze windows (of the given environments, and of every environment) in [start, end)."""
    qs = FreezeWindow.objects.select_related("environment").filter(start__lt=end)
    qs = qs.filter(Q(end__isnull=True) | Q(end__gt=start))
    if environment_ids is not None:
        qs = qs.filter(Q(environment__isnull=True) | Q(environment_id__in=environment_ids))
    found = [
        Occurrence(window, begin, finish) for window in qs for begin, finish in window_occurrences(window, start, end)
    ]
    return sorted(found, key=lambda o: (o.start, o.window.pk))


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def _shown_per_day(qs: QuerySet[Deployment], days: list[dt.date], per_environment: bool) -> list[tuple]:
    """(day index, environment id, deployment id, deployments that day) of the first CHIPS_SHOWN deployments of each
    day (or environment and day) by planned start: counted and ranked in SQL, in one query."""
    if not days:
        return []
    inner, inner_params = (
        qs.order_by().values("id", "environment_id", "planned_start", "planned_end").query.sql_with_params()
    )
    adapt = connection.ops.adapt_datetimefield_value
    days_sql = " UNION ALL ".join(["SELECT %s AS n, %s AS d0, %s AS d1"] * len(days))
    days_params = [
        value for i, day in enumerate(days) for value in (i, adapt(_utc(day)), adapt(_utc(day + dt.timedelta(days=1))))
    ]
    part = "days.n, dep.environment_id" if per_environment else "days.n"
    # constants and the ORM's compiled SQL only; every value is a parameter
    # the deployments of the range are read once (MATERIALIZED), then joined to the days: without it the planner
    # may look every day up in the index again
    sql = (
        f"WITH dep AS MATERIALIZED ({inner}) "  # noqa: S608
        "SELECT n, environment_id, id, total FROM ("
        f"SELECT days.n AS n, dep.environment_id AS environment_id, dep.id AS id,"
        f" ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY dep.planned_start, dep.id) AS rn,"
        f" COUNT(*) OVER (PARTITION BY {part}) AS total"
        f" FROM ({days_sql}) days INNER JOIN dep ON dep.planned_start < days.d1 AND dep.planned_end > days.d0"
        ") ranked WHERE rn <= %s ORDER BY n, rn"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, *days_params, CHIPS_SHOWN])
        return cursor.fetchall()


def _more_url(query: dict, day: dt.date, environment_id: int | None = None) -> str:
    """The register filtered like the calendar to the deployments overlapping `day` (UTC): planned_from is
    inclusive, so it starts a microsecond after midnight (a deployment ending at midnight belongs to the day before)."""
    params = [
        (k, v) for k, v in query if k not in ("planned_from", "planned_to", "environment" if environment_id else "")
    ]
    params += [
        ("planned_from", f"{day:%Y-%m-%d}T00:00:00.000001Z"),
        ("planned_to", f"{day + dt.timedelta(days=1):%Y-%m-%d}T00:00:00Z"),
    ]
    if environment_id:
        params.append(("environment", environment_id))
    return reverse("deployments:deployment_list") + "?" + urlencode(params)


def _register_query(params) -> list[tuple[str, str]]:
    """The calendar's filters as register parameters; without a status, the statuses the calendar shows."""
    keys = [k for k in DeploymentFilterSet.base_filters if k not in ("planned_from", "planned_to", "ordering")]
    query = [(k, v) for k in keys for v in (params.getlist(k) if params else []) if v]
    if not any(k == "status" for k, _ in query):
        query += [("status", s) for s in workflow.Status.values if s not in workflow.HIDDEN_BY_DEFAULT]
    return query


def calendar_build(*, user, params, view: str = MONTH, anchor: dt.date | None = None) -> CalendarData:
    """Everything the calendar page shows for a month or a week, in a constant number of queries: per day (week:
    per environment and day) the first CHIPS_SHOWN deployments by planned start and how many more there are."""
    view = WEEK if view == WEEK else MONTH
    today = timezone.localdate()
    anchor = anchor or today
    start, end, previous, following, title = calendar_range(view, anchor)
    start_at, end_at = _utc(start), _utc(end)
    filterset, longest = _filterset(user=user, params=params), longest_window()
    qs = _overlapping(filterset, params, start_at, end_at, longest)
    all_days = _days(start, end)
    # the day counts the services keep, and each day's first deployments; or, when those cannot answer the
    # filters, the range's deployments counted and ranked
    counts = day_counts(user=user, filterset=filterset, days=all_days, per_environment=view == WEEK)
    if counts is None:
        ranked = _shown_per_day(qs, all_days, per_environment=view == WEEK)
    else:
        ranked = first_per_day(qs, all_days, counts, longest, CHIPS_SHOWN)
    # read by their keys alone: with the range's conditions beside them PostgreSQL would walk the range's rows
    shown = deployment_list(user=user, join=False).filter(pk__in={pk for _, _, pk, _ in ranked})
    chips = {d.pk: d for d in shown.select_related("environment").only(*CHIP_FIELDS)}
    deployments = sorted(chips.values(), key=lambda d: (d.planned_start, d.pk))
    environment_filter = params.get("environment") if params else None
    environments = list(Environment.objects.filter(is_active=True).order_by("order", "name"))
    env_ids = [int(environment_filter)] if environment_filter and environment_filter.isdigit() else None
    freezes = calendar_freezes(start=start_at, end=end_at, environment_ids=env_ids)
    # the shown ones' partners, the shown ones among them with their components
    planned, truncated, overlaps = partners_of(_filtered(filterset, params), deployments, longest)
    conflicts = calendar_conflicts(deployments, freezes, planned, overlaps=overlaps)
    for d in deployments:
        d.conflicts = conflicts.get(d.pk, [])

    query = _register_query(params)
    days = {
        day: Day(day, in_month=(view == WEEK or day.month == anchor.month), is_today=day == today) for day in all_days
    }
    rows: dict[int, dict[dt.date, Day]] = {}
    for n, environment_id, pk, total in ranked:
        day = all_days[n]
        cell = days[day]
        if view == WEEK:
            cell = rows.setdefault(environment_id, {}).setdefault(day, Day(day))
            cell.more_url = cell.more_url or _more_url(query, day, environment_id)
        cell.count = total
        cell.more_url = cell.more_url or _more_url(query, day)
        cell.deployments.append(chips[pk])
    for occ in freezes:
        first = max(occ.start.date(), start)
        last = min((occ.end - dt.timedelta(microseconds=1)).date(), end - dt.timedelta(days=1))
        for day in _days(first, last + dt.timedelta(days=1)):
            days[day].freezes.append(occ)
    ordered = [days[day] for day in all_days]
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    shown_envs = [e for e in environments if env_ids is None or e.pk in env_ids]
    by_environment = [  # the week's grid (a row per environment); the month's has none
        (env, [rows.get(env.pk, {}).get(day.date) or Day(day.date) for day in ordered])
        for env in (shown_envs if view == WEEK else [])
    ]
    return CalendarData(
        view=view,
        anchor=anchor,
        start=start,
        end=end,
        previous=previous,
        next=following,
        title=title,
        weeks=weeks,
        environments=shown_envs,
        by_environment=by_environment,
        deployments=deployments,
        freezes=freezes,
        conflicts=conflicts,
        truncated=truncated,
    )
