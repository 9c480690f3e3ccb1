"""The deployment calendar: month and week grids, freeze-window occurrences and conflicts."""

import datetime as dt
import operator
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment
from apps.deployments.selectors.visibility import deployment_list
from apps.environments.models import Environment, FreezeWindow
from apps.environments.windows import window_occurrences
from apps.reports.selectors.calendar_days import day_counts, first_per_day, overlapping, window

MONTH, WEEK = "month", "week"
MAX_EVENTS = 5000  # conflicts are looked for among at most this many planned deployments overlapping the shown ones
CHIPS_SHOWN = 4  # deployments drawn per day (month) or per environment and day (week); "+N more" links the rest
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


class PlannedWindow(NamedTuple):
    """A planned deployment as the conflict check reads it (thousands per month at scale: no model instances)."""

    pk: int
    reference: str
    environment_id: int
    planned_start: dt.datetime
    planned_end: dt.datetime
    components: frozenset | None = None  # its components' ids, when read with it


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
    longest = Deployment.objects.aggregate(longest=Max(F("planned_end") - F("planned_start")))["longest"]
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


def _overlap(a_start, a_end, b_start, b_end) -> bool:
    return a_start < b_end and b_start < a_end


class _ByStart:
    """Planned deployments in order of planned start, those starting in a range found by bisection: the partners
    of a shown deployment are the few of its environment or component whose windows can reach it, not all of them
    (at ten million, thousands a month)."""

    def __init__(self, ordered: list):
        self.ordered, self.starts = ordered, [d.planned_start for d in ordered]

    def starting(self, since: dt.datetime, before: dt.datetime) -> list:
        return self.ordered[bisect_left(self.starts, since) : bisect_left(self.starts, before)]


def calendar_conflicts(
    deployments: list[Deployment], freezes: list[Occurrence], planned: list | None = None, components=None
) -> dict[int, list[str]]:
    """Conflicts of the shown deployments (DESIGN.md §2) with the planned deployments of the range (by default the
    shown ones): overlapping in an environment that allows no parallel deployments, the same component deployed in
    overlapping windows, or planned inside a freeze. Partners are looked up per environment and per component.
    `components`: the shown planned deployments' components, when already read (`_components_of`)."""
    shown = [d for d in deployments if d.status in workflow.PLANNED]
    planned = shown if planned is None else planned
    found: dict[int, list[str]] = defaultdict(list)
    known: dict[int, set[int]] = dict(components or {})
    asked = {d.pk for d in shown} if components is not None else set()
    for b in planned:
        if getattr(b, "components", None) is not None:  # read with the partner (partners_of)
            known[b.pk] = set(b.components)
            asked.add(b.pk)
    missing = sorted(({d.pk for d in shown} | {d.pk for d in planned}) - asked)
    components = {**known, **_components_of(missing)} if missing else known
    by_env: dict[int, list[Deployment]] = defaultdict(list)
    by_component: dict[int, list[Deployment]] = defaultdict(list)
    for b in sorted(planned, key=lambda d: (d.planned_start, d.pk)):
        by_env[b.environment_id].append(b)
        for component_id in components.get(b.pk, ()):
            by_component[component_id].append(b)
    longest = max((b.planned_end - b.planned_start for b in planned), default=dt.timedelta(0))
    envs = {key: _ByStart(group) for key, group in by_env.items()}
    parts = {key: _ByStart(group) for key, group in by_component.items()}
    for a in shown:
        mine = components.get(a.pk, set())
        serial = not a.environment.allows_parallel_deployments
        groups = [parts[c] for c in mine if c in parts] + (
            [envs[a.environment_id]] if serial and a.environment_id in envs else []
        )
        partners = {b.pk: b for group in groups for b in group.starting(a.planned_start - longest, a.planned_end)}
        for b in sorted(partners.values(), key=lambda d: (d.planned_start, d.pk)):
            if b.pk == a.pk or not _overlap(a.planned_start, a.planned_end, b.planned_start, b.planned_end):
                continue
            if a.environment_id == b.environment_id and serial:
                found[a.pk].append(f"Overlaps {b.reference} in {a.environment}, which allows no parallel deployments.")
            if mine & components.get(b.pk, set()):
                found[a.pk].append(f"Deploys the same component as {b.reference} in an overlapping window.")
        for occ in freezes:
            applies = occ.window.environment_id in (None, a.environment_id)
            if applies and _overlap(a.planned_start, a.planned_end, occ.start, occ.end):
                found[a.pk].append(f"Inside the freeze “{occ.window.name}” ({occ.scope}).")
    return dict(found)


def _spans(deployments: list[Deployment]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The planned windows of the deployments still planned, overlapping ones merged: the times a partner of one of
    them must overlap."""
    windows = sorted(
        (d.planned_start, d.planned_end)
        for d in deployments
        if d.status in workflow.PLANNED and d.planned_start is not None and d.planned_end is not None
    )
    spans: list[list] = []
    for start, end in windows:
        if spans and start < spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return [(a, b) for a, b in spans]


def partners_of(
    qs: QuerySet[Deployment], shown: list[Deployment], longest: dt.timedelta, components: dict | None = None
) -> list[PlannedWindow]:
    """The planned deployments (of `qs`, as filtered) a conflict of the shown ones can be with: those overlapping one
    of their windows (read through the planned start's index from each window's start less the longest window) that
    are in an environment of a shown one allowing no parallel deployments, or that deploy a component a shown one
    deploys (`components`: theirs, `_components_of`, read here when not given) — the only ones `calendar_conflicts`
    could pair them with. So the check reads the candidates of a conflict, not every deployment of the hours the shown
    ones cover (thousands at ten million); at most MAX_EVENTS + 1 a window (more: truncated)."""
    spans = _spans(shown)
    if not spans:
        return []
    mine = [d for d in shown if d.status in workflow.PLANNED]
    if components is None:
        components = _components_of(sorted(d.pk for d in mine))
    theirs = sorted({c for ids in components.values() for c in ids})
    serial = sorted({d.environment_id for d in mine if not d.environment.allows_parallel_deployments})
    through = Deployment.component_versions.through
    could = [Q(environment_id__in=serial)] if serial else []
    if theirs:  # a list, not a sub-query: PostgreSQL would probe each candidate's component's every version
        same = through.objects.filter(deployment_id=OuterRef("pk"), componentversion__component_id__in=theirs)
        could.append(Q(Exists(same)))
    if not could:
        return []
    planned, marks = overlapping(qs.filter(reduce(operator.or_, could), status__in=workflow.PLANNED))
    columns = ("pk", "reference", "environment_id", "planned_start", "planned_end", "component_versions__component_id")
    query = CompiledForEach(planned.order_by().values_list(*columns)[: MAX_EVENTS + 1], marks=marks, using=qs.db)
    found: dict[int, tuple] = {}
    parts: dict[int, set[int]] = defaultdict(set)
    for _i, *row, component_id in query.rows([window(start, end, longest) for start, end in spans]):
        found.setdefault(row[0], row)  # a window overlapping two spans is read for each; a row a component
        if component_id is not None:
            parts[row[0]].add(component_id)
    partners = [PlannedWindow(*row, frozenset(parts[pk])) for pk, row in found.items()]
    return sorted(partners, key=lambda p: (p.planned_start, p.pk))


def _components_of(deployment_ids: list[int]) -> dict[int, set[int]]:
    if not deployment_ids:
        return {}
    through = Deployment.component_versions.through
    result: dict[int, set[int]] = defaultdict(set)
    rows = through.objects.filter(deployment_id__in=deployment_ids).values_list(
        "deployment_id", "componentversion__component_id"
    )
    for deployment_id, component_id in rows:
        result[deployment_id].add(component_id)
    return result


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
    chips = {d.pk: d for d in deployment_list(user=user).filter(pk__in={pk for _, _, pk, _ in ranked})}
    deployments = sorted(chips.values(), key=lambda d: (d.planned_start, d.pk))
    environment_filter = params.get("environment") if params else None
    environments = list(Environment.objects.filter(is_active=True).order_by("order", "name"))
    env_ids = [int(environment_filter)] if environment_filter and environment_filter.isdigit() else None
    freezes = calendar_freezes(start=start_at, end=end_at, environment_ids=env_ids)
    components = _components_of(sorted(d.pk for d in deployments if d.status in workflow.PLANNED))
    planned = partners_of(_filtered(filterset, params), deployments, longest, components)
    truncated = len(planned) > MAX_EVENTS
    planned = planned[:MAX_EVENTS]
    conflicts = calendar_conflicts(deployments, freezes, planned, components)
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
