"""The deployment calendar: month and week grids, freeze-window occurrences, conflicts, iCalendar feeds and tokens."""

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.deployments import workflow
from apps.deployments.filters import DeploymentFilterSet
from apps.deployments.models import Deployment
from apps.deployments.selectors import deployment_list
from apps.environments.models import Environment, FreezeWindow
from apps.environments.windows import window_occurrences
from apps.reports.record_models import CalendarFeedToken, feed_key_hash

MONTH, WEEK = "month", "week"
HIDDEN_BY_DEFAULT = (workflow.Status.CANCELLED, workflow.Status.REJECTED)
MAX_EVENTS = 5000  # a calendar range never loads more than this
FEED_PAST = dt.timedelta(days=60)
FEED_FUTURE = dt.timedelta(days=365)


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
    deployments: list[Deployment]
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


def calendar_deployments(*, user, params, start: dt.datetime, end: dt.datetime) -> QuerySet[Deployment]:
    """Visible deployments planned to overlap [start, end), through the register's FilterSet (one query)."""
    filterset = DeploymentFilterSet(params or None, queryset=deployment_list(user=user))
    if filterset.is_bound and not filterset.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in filterset.errors.items()})
    qs = filterset.qs.filter(planned_start__lt=end, planned_end__gt=start)
    if not (params and params.getlist("status")):
        qs = qs.exclude(status__in=HIDDEN_BY_DEFAULT)
    return qs.order_by("planned_start", "id")


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


def calendar_conflicts(deployments: list[Deployment], freezes: list[Occurrence]) -> dict[int, list[str]]:
    """Conflicts among the shown deployments (DESIGN.md §2): overlapping in an environment that allows no parallel
    deployments, the same component deployed in overlapping windows, or planned inside a freeze."""
    planned = [d for d in deployments if d.status in workflow.PLANNED]
    found: dict[int, list[str]] = defaultdict(list)
    components = _components_of([d.pk for d in planned])
    for i, a in enumerate(planned):
        for b in planned[i + 1 :]:
            if not _overlap(a.planned_start, a.planned_end, b.planned_start, b.planned_end):
                continue
            if a.environment_id == b.environment_id and not a.environment.allows_parallel_deployments:
                found[a.pk].append(f"Overlaps {b.reference} in {a.environment}, which allows no parallel deployments.")
                found[b.pk].append(f"Overlaps {a.reference} in {b.environment}, which allows no parallel deployments.")
            shared = components.get(a.pk, set()) & components.get(b.pk, set())
            if shared:
                found[a.pk].append(f"Deploys the same component as {b.reference} in an overlapping window.")
                found[b.pk].append(f"Deploys the same component as {a.reference} in an overlapping window.")
    for d in planned:
        for occ in freezes:
            applies = occ.window.environment_id in (None, d.environment_id)
            if applies and _overlap(d.planned_start, d.planned_end, occ.start, occ.end):
                found[d.pk].append(f"Inside the freeze “{occ.window.name}” ({occ.scope}).")
    return dict(found)


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


def calendar_build(*, user, params, view: str = MONTH, anchor: dt.date | None = None) -> CalendarData:
    """Everything the calendar page shows for a month or a week, in a bounded number of queries."""
    view = WEEK if view == WEEK else MONTH
    today = timezone.localdate()
    anchor = anchor or today
    start, end, previous, following, title = calendar_range(view, anchor)
    start_at, end_at = _utc(start), _utc(end)
    qs = calendar_deployments(user=user, params=params, start=start_at, end=end_at)
    deployments = list(qs[: MAX_EVENTS + 1])
    truncated = len(deployments) > MAX_EVENTS
    deployments = deployments[:MAX_EVENTS]
    environment_filter = params.get("environment") if params else None
    environments = list(Environment.objects.filter(is_active=True).order_by("order", "name"))
    env_ids = [int(environment_filter)] if environment_filter and environment_filter.isdigit() else None
    freezes = calendar_freezes(start=start_at, end=end_at, environment_ids=env_ids)
    conflicts = calendar_conflicts(deployments, freezes)
    for d in deployments:
        d.conflicts = conflicts.get(d.pk, [])

    days = {
        day: Day(day, in_month=(view == WEEK or day.month == anchor.month), is_today=day == today)
        for day in _days(start, end)
    }
    rows: dict[int, dict[dt.date, Day]] = {}
    for d in deployments:
        first = max(d.planned_start.date(), start)
        last = min((d.planned_end - dt.timedelta(microseconds=1)).date(), end - dt.timedelta(days=1))
        for day in _days(first, last + dt.timedelta(days=1)):
            days[day].deployments.append(d)
            rows.setdefault(d.environment_id, {}).setdefault(day, Day(day)).deployments.append(d)
    for occ in freezes:
        first = max(occ.start.date(), start)
        last = min((occ.end - dt.timedelta(microseconds=1)).date(), end - dt.timedelta(days=1))
        for day in _days(first, last + dt.timedelta(days=1)):
            days[day].freezes.append(occ)
    for day in days.values():
        day.deployments.sort(key=lambda d: (d.environment.order, d.environment.name, d.planned_start))
    ordered = [days[day] for day in _days(start, end)]
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    shown_envs = [e for e in environments if env_ids is None or e.pk in env_ids]
    by_environment = [
        (env, [rows.get(env.pk, {}).get(day.date) or Day(day.date) for day in ordered]) for env in shown_envs
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


# --- iCalendar ------------------------------------------------------------------------------------------------


def calendar_ics(*, user, params, base_url: str, start: dt.datetime | None = None, end: dt.datetime | None = None):
    """An iCalendar (RFC 5545) document of the user's visible deployments and the freeze windows, as bytes."""
    from icalendar import Calendar, Event

    now = timezone.now()
    start = start or now - FEED_PAST
    end = end or now + FEED_FUTURE
    deployments = list(calendar_deployments(user=user, params=params, start=start, end=end)[:MAX_EVENTS])
    environment_filter = params.get("environment") if params else None
    env_ids = [int(environment_filter)] if environment_filter and environment_filter.isdigit() else None
    freezes = calendar_freezes(start=start, end=end, environment_ids=env_ids)
    cal = Calendar()
    cal.add("prodid", "-//Deploydesk//Deployment calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Deploydesk deployments")
    for d in deployments:
        event = Event()
        event.add("uid", f"{d.reference}@deploydesk")
        event.add("dtstamp", now)
        event.add("dtstart", d.planned_start)
        event.add("dtend", d.planned_end)
        event.add("summary", f"{d.reference} {d.title}")
        link = f"{base_url}/deployments/{d.pk}/"
        event.add(
            "description",
            f"Status: {d.get_status_display()}\nEnvironment: {d.environment.name}\nService: {d.service.name}\n{link}",
        )
        event.add("location", d.environment.name)
        event.add("url", link)
        event.add("categories", ["deployment", d.status])
        if d.status == workflow.Status.CANCELLED:
            event.add("status", "CANCELLED")
        cal.add_component(event)
    for occ in freezes:
        event = Event()
        event.add("uid", f"freeze-{occ.window.pk}-{occ.start:%Y%m%dT%H%M%SZ}@deploydesk")
        event.add("dtstamp", now)
        event.add("dtstart", occ.start)
        event.add("dtend", occ.end)
        event.add("summary", f"Freeze: {occ.window.name} ({occ.scope})")
        event.add("description", occ.window.reason)
        event.add("categories", ["freeze"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


# --- per-user feed tokens -------------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_token_rotate(*, user) -> tuple[CalendarFeedToken, str]:
    """Create the user's feed key, or replace it (the old feed URL stops working). Returns the key once."""
    if not user.is_authenticated:
        raise ValidationError("Sign in to create a calendar feed.")
    key = secrets.token_urlsafe(32)
    token, _ = CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"key_hash": feed_key_hash(key), "prefix": key[:8], "last_used_at": None}
    )
    return token, key


def calendar_feed_token_revoke(*, user) -> bool:
    """Delete the user's feed key; the feed URL answers 404 from now on."""
    deleted, _ = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(*, key: str):
    """The active user a feed key belongs to, or None; records when the feed was last read (to the hour)."""
    if not key or len(key) > 100:
        return None
    token = CalendarFeedToken.objects.select_related("user").filter(key_hash=feed_key_hash(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(hours=1):
        CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
