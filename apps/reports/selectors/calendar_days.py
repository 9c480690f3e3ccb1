"""The calendar's per-day counts and first deployments, each read in rows bounded by what the page shows: the counts
from the day counts the services keep (DeploymentCalendarDay: a row per day, environment and status, however many
deployments a day holds) and the first CHIPS_SHOWN deployments of each day (or environment and day) through the
planned start's index, one LIMIT per day. The counts are read from the day counts only when they can answer: a user
who sees every deployment, filtering by nothing but environment, kind of environment or status; otherwise the
calendar counts the deployments (apps/reports/selectors/calendar.py)."""

import datetime as dt

from django.db.models import QuerySet, Sum

from apps.core.for_each import CompiledForEach
from apps.deployments import workflow
from apps.deployments.models import ALL, DeploymentCalendarDay
from apps.deployments.selectors.visibility import sees_all_deployments
from apps.environments.models import Environment

COUNTED_FILTERS = ("environment", "environment_kind", "status")  # what the day counts are kept by
IGNORED = ("ordering",)  # filters that change no count


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def day_counts(*, user, filterset, days: list[dt.date], per_environment: bool) -> dict[tuple, int] | None:
    """{(day index, environment id or None): deployments} of the days, as the calendar counts them (overlapping the
    UTC day, the filters applied, cancelled and rejected ones only when a status asks for them) — or None when the
    day counts cannot answer (another filter, or a user who sees part of the deployments). Days with none are
    left out."""
    if not days or not sees_all_deployments(user=user):
        return None
    data = filterset.form.cleaned_data if filterset.is_bound else {}
    if any(value for key, value in data.items() if key not in (*COUNTED_FILTERS, *IGNORED)):
        return None
    rows = DeploymentCalendarDay.objects.filter(day__gte=days[0], day__lte=days[-1], deployments__gt=0)
    statuses = data.get("status")
    rows = rows.filter(status__in=statuses) if statuses else rows.exclude(status__in=workflow.HIDDEN_BY_DEFAULT)
    if data.get("environment"):
        rows = rows.filter(environment_id=data["environment"].pk)
    if data.get("environment_kind"):
        rows = rows.filter(environment_id__in=Environment.objects.filter(kind=data["environment_kind"]).values("pk"))
    if not (per_environment or data.get("environment") or data.get("environment_kind")):
        rows = rows.filter(environment_id=ALL)  # every environment's deployments: a row per day and status
    else:
        rows = rows.exclude(environment_id=ALL)
    index = {day: n for n, day in enumerate(days)}
    keys = ("day", "environment_id") if per_environment else ("day",)
    counts = {}
    for row in rows.order_by().values(*keys).annotate(n=Sum("deployments")):
        if row["n"]:
            counts[index[row["day"]], row.get("environment_id")] = row["n"]
    return counts


def first_per_day(
    qs: QuerySet, days: list[dt.date], counts: dict[tuple, int], longest: dt.timedelta, shown: int
) -> list[tuple]:
    """(day index, environment id, deployment id, deployments that day) of the first `shown` deployments of `qs` by
    planned start of each day (or environment and day) that `counts` says has any: a LIMIT a day, each reading through
    the planned start's index from the day's start less the longest planned window (`longest`), so a day's rows read
    follow what it shows, not how many deployments it holds. One query, planned once (`CompiledForEach`)."""
    if not counts:
        return []
    keys = sorted(counts)
    found = []
    for by_environment in (False, True):
        shape = [(k, key) for k, key in enumerate(keys) if (key[1] is not None) == by_environment]
        if not shape:
            continue
        day, marks = overlapping(qs, by_environment=by_environment)
        page = day.order_by("planned_start", "id").values_list("planned_start", "id", "environment_id")[:shown]
        sets = [
            {**window(_utc(days[n]), _utc(days[n] + dt.timedelta(days=1)), longest), ENVIRONMENT: environment_id}
            for _k, (n, environment_id) in shape
        ]
        for i, start, pk, environment_id in CompiledForEach(page, marks=marks, using=qs.db).rows(sets):
            k = shape[i][0]
            found.append((keys[k][0], k, start, pk, environment_id))
    found.sort()  # each day's (and environment's) by planned start, as the page lists them
    return [(n, environment_id, pk, counts[keys[k]]) for n, k, _start, pk, environment_id in found]


# stand-ins for a window's bounds and an environment while a query is compiled, each window's own values bound in
# their places (nothing is planned in 1901, and no environment has a negative id)
WINDOW_MARKS = {
    "before": dt.datetime(1901, 2, 3, 4, 5, 6, 111, tzinfo=dt.UTC),
    "after": dt.datetime(1901, 2, 3, 4, 5, 6, 222, tzinfo=dt.UTC),
    "from": dt.datetime(1901, 2, 3, 4, 5, 6, 333, tzinfo=dt.UTC),
}
ENVIRONMENT, ENVIRONMENT_MARK = "environment", -8_000_003


def overlapping(qs: QuerySet, *, by_environment: bool = False) -> tuple[QuerySet, dict[str, object]]:
    """`qs` narrowed to the deployments whose planned window overlaps a window, with stand-ins for its values (see
    `window`) and, `by_environment`, for an environment: the query `CompiledForEach` runs for each window."""
    m = WINDOW_MARKS
    qs = qs.filter(planned_start__lt=m["before"], planned_end__gt=m["after"], planned_start__gte=m["from"])
    if not by_environment:
        return qs, dict(m)
    return qs.filter(environment_id=ENVIRONMENT_MARK), {**m, ENVIRONMENT: ENVIRONMENT_MARK}


def window(start: dt.datetime, end: dt.datetime, longest: dt.timedelta) -> dict[str, dt.datetime]:
    """The values of `overlapping`'s stand-ins for the window from `start` to `end`: a deployment overlapping it starts
    before its end, ends after its start, and starts no earlier than its start less the longest planned window
    (`longest`), so that it is read through the planned start's index."""
    return {"before": end, "after": start, "from": start - longest}
