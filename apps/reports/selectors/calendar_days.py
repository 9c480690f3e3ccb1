"""The calendar's per-day counts and first deployments, each read in rows bounded by what the page shows: the counts
from the day counts the services keep (DeploymentCalendarDay: a row per day, environment and status, however many
deployments a day holds) and the first CHIPS_SHOWN deployments of each day (or environment and day) through the
planned start's index, one LIMIT per day. The counts are read from the day counts only when they can answer: a user
who sees every deployment, filtering by nothing but environment, kind of environment or status; otherwise the
calendar counts the deployments (apps/reports/selectors/calendar.py)."""

import datetime as dt

from django.db import connection
from django.db.models import QuerySet, Sum

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
    planned start of each day (or environment and day) that `counts` says has any: one sub-query a day with its own
    LIMIT, each reading through the planned start's index from the day's start less the longest planned window
    (`longest`), so a day's rows read follow what it shows, not how many deployments it holds. One query."""
    if not counts:
        return []
    parts, params = [], []
    keys = sorted(counts)
    for n, environment_id in keys:
        d0, d1 = _utc(days[n]), _utc(days[n] + dt.timedelta(days=1))
        day = qs.filter(planned_start__lt=d1, planned_end__gt=d0, planned_start__gte=d0 - longest)
        if environment_id is not None:
            day = day.filter(environment_id=environment_id)
        page = day.order_by("planned_start", "id").values("id", "environment_id", "planned_start")[:shown]
        sql, p = page.query.sql_with_params()
        parts.append(f"SELECT %s AS n, %s AS k, r.* FROM ({sql}) r")  # noqa: S608 (the ORM's compiled SQL)
        params.extend([n, len(parts) - 1, *p])
    sql = " UNION ALL ".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n, k, planned_start, id, environment_id FROM ({sql}) t", params)  # noqa: S608
        rows = sorted(cursor.fetchall())  # each day's (and environment's) by planned start, as the page lists them
    return [(n, environment_id, pk, counts[keys[k]]) for n, k, _start, pk, environment_id in rows]
