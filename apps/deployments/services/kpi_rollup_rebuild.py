"""Rebuilds the KPI rollups from the deployments (`manage.py kpi_rollup_rebuild`, the migrations, bench_seed and the
demo after bulk loads), in bounded memory whatever the number of deployments:

- the daily rows month by month: the deployments that finished or were planned to start in the month (with their
  incident links, ratings and roll-backs) go through the same `contribution` the services use, and the month's rows
  are inserted before the next month is read;
- the week, month and year rows from the daily rows by set-based SQL, a year of days per statement (one INSERT …
  SELECT … GROUP BY for the counts, one UPDATE per sketch merging the days' sketches with the database's JSON
  functions), so neither Python nor one statement ever holds more than a year."""

import datetime as dt

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Max, Min, Q

from apps.deployments import workflow
from apps.deployments.services.kpi_rollup import (
    ALIGNMENT_SUMS,
    BATCH,
    COUNTERS,
    DEPLOYMENT_FIELDS,
    FEEDBACK_SUMS,
    SKETCH_COUNTS,
    SKETCHES,
    Facts,
    contribution,
    local_day,
    merge_part,
    period_starts,
)

S = workflow.Status
ALL = -1  # as apps.deployments.models.ALL (the historical models of a migration carry no constants)
DIMENSIONS = (("environment_id", "model_id"), ("environment_id", None), (None, "model_id"), (None, None))


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _daily_month(apps, first: dt.date, end: dt.date) -> list:
    """The daily rollup rows of the days first..end (exclusive), computed with `contribution`."""
    Deployment = apps.get_model("deployments", "Deployment")
    IncidentLink = apps.get_model("deployments", "IncidentLink")
    Feedback = apps.get_model("deployments", "Feedback")
    AlignmentRating = apps.get_model("deployments", "AlignmentRating")
    DeploymentEvent = apps.get_model("deployments", "DeploymentEvent")
    Rollup = apps.get_model("deployments", "DeploymentDailyRollup")
    # a day wider on both sides: the days are the server's time zone's, the query's times UTC
    lo = dt.datetime.combine(first - dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    counted = (
        Deployment.objects.exclude(status__in=(S.DRAFT, S.CANCELLED))
        .filter(
            Q(status__in=workflow.FINISHED, actual_end__gte=lo, actual_end__lt=hi)
            | Q(planned_start__gte=lo, planned_start__lt=hi)
        )
        .order_by()
    )
    ids = counted.values("pk")
    incidents: dict[int, list] = {}
    links = IncidentLink.objects.filter(withdrawn_at__isnull=True, deployment__in=ids).order_by()
    for dep_id, opened, resolved in links.values_list("deployment_id", "opened_at", "resolved_at"):
        incidents.setdefault(dep_id, []).append((opened, resolved))
    feedback = {
        r["deployment_id"]: (r["n"], r["lead"] or 0, r["q"] or 0, r["rate_n"], r["rate"] or 0)
        for r in Feedback.objects.filter(deployment__in=ids)
        .order_by()
        .values("deployment_id")
        .annotate(**FEEDBACK_SUMS)
    }
    alignment = {
        r["deployment_id"]: (r["n"], r["total"] or 0)
        for r in AlignmentRating.objects.filter(deployment__in=ids, answered_at__isnull=False)
        .order_by()
        .values("deployment_id")
        .annotate(**ALIGNMENT_SUMS)
    }
    rolled_back = {}
    events = DeploymentEvent.objects.filter(to_status=S.ROLLED_BACK, deployment__in=ids).order_by("at", "pk")
    for dep_id, at in events.values_list("deployment_id", "at"):
        rolled_back[dep_id] = at  # the latest wins
    rows: dict[tuple, dict] = {}
    for values in counted.values_list(*DEPLOYMENT_FIELDS).iterator(BATCH):
        row = dict(zip(DEPLOYMENT_FIELDS, values, strict=True))
        pk = row["pk"]
        facts = Facts(
            row,
            incidents.get(pk, []),
            feedback.get(pk, (0, 0, 0, 0, 0)),
            rolled_back.get(pk),
            alignment.get(pk, (0, 0)),
        )
        for key, part in contribution(facts).items():
            if first <= key[0] < end:
                merge_part(rows.setdefault(key, {}), part)
    return [
        Rollup(day=k[0], environment_id=k[1], service_id=k[2], model_id=k[3], supplier_id=k[4], **v)
        for k, v in rows.items()
        if any(v.values())
    ]


def _days_spanned(apps) -> tuple[dt.date, dt.date] | None:
    Deployment = apps.get_model("deployments", "Deployment")
    span = Deployment.objects.exclude(status__in=(S.DRAFT, S.CANCELLED)).aggregate(
        a=Min("planned_start"), b=Max("planned_start"), c=Min("actual_end"), d=Max("actual_end")
    )
    times = [t for t in span.values() if t is not None]
    if not times:
        return None
    return local_day(min(times)), local_day(max(times))


def daily_rebuild(*, apps=global_apps) -> int:
    """Replace the daily rows by a recomputation, a month at a time; returns the rows made."""
    Rollup = apps.get_model("deployments", "DeploymentDailyRollup")
    Rollup.objects.all().delete()
    span = _days_spanned(apps)
    made = 0
    if span is None:
        return made
    month = span[0].replace(day=1)
    while month <= span[1]:
        following = _next_month(month)
        rows = _daily_month(apps, month, following)
        Rollup.objects.bulk_create(rows, batch_size=BATCH)
        made += len(rows)
        month = following
    return made


# --- the period rows, by SQL ---------------------------------------------------------------------------------


def _trunc(grain: str, column: str) -> str:
    if connection.vendor == "postgresql":
        unit = {"W": "week", "M": "month", "Y": "year"}[grain]
        return f"date_trunc('{unit}', {column}::timestamp)::date"
    modifiers = {"W": "'-6 days', 'weekday 1'", "M": "'start of month'", "Y": "'start of year'"}[grain]
    return f"date({column}, {modifiers})"


def _source(grain: str, dims: tuple, daily: str, period: str) -> tuple[str, str, str]:
    """(table, day column, condition) the rows of `grain` and `dims` add up: the weeks' and months' rows per
    environment and model from the daily rows, a year's from its months' rows, and the rows over every environment
    or model from the rows per environment and model of the same grain (made first) — so each level reads the
    fewest rows that add up to it."""
    if dims == ("environment_id", "model_id"):
        if grain == "Y":
            return period, "start", f"d.grain = 'M' AND d.environment_id <> {ALL} AND d.model_id <> {ALL}"
        return daily, "day", "1 = 1"
    return period, "start", f"d.grain = '{grain}' AND d.environment_id <> {ALL} AND d.model_id <> {ALL}"


def _sketch_sql(grain: str, field: str, dims: tuple, daily: str, period: str) -> str:
    """UPDATE the period rows of `grain` and `dims` with the sketches of their source rows (`_source`) added up
    (source rows of the days [%s, %s))."""
    table, day, where = _source(grain, dims, daily, period)
    env = "d.environment_id" if dims[0] else str(ALL)
    model = "d.model_id" if dims[1] else str(ALL)
    groups = ", ".join(["s", *(["e"] if dims[0] else []), *(["m"] if dims[1] else []), "k"])
    if connection.vendor == "postgresql":
        each, n, total = f"jsonb_each(d.{field})", "(j.value->>0)::bigint", "(j.value->>1)::bigint"
        agg = "jsonb_object_agg(k, jsonb_build_array(n, t))"
    else:
        each, n, total = f"json_each(d.{field})", "json_extract(j.value, '$[0]')", "json_extract(j.value, '$[1]')"
        agg = "json_group_object(k, json_array(n, t))"
    count = SKETCH_COUNTS[field]  # rows whose sketch is not empty
    return (
        f"UPDATE {period} AS p SET {field} = x.sk FROM ("  # noqa: S608 (names and SQL of this module only)
        f"SELECT s, e, m, {agg} AS sk FROM ("
        f"SELECT {_trunc(grain, f'd.{day}')} AS s, {env} AS e, {model} AS m, j.key AS k, SUM({n}) AS n, "
        f"SUM({total}) AS t FROM {table} AS d, {each} AS j "
        f"WHERE {where} AND d.{day} >= %s AND d.{day} < %s AND d.{count} > 0 GROUP BY {groups}"
        f") AS b GROUP BY s, e, m) AS x "
        f"WHERE p.grain = '{grain}' AND p.start = x.s AND p.environment_id = x.e AND p.model_id = x.m"
    )


def _counts_sql(grain: str, dims: tuple, daily: str, period: str) -> str:
    table, day, where = _source(grain, dims, daily, period)
    env = "d.environment_id" if dims[0] else str(ALL)
    model = "d.model_id" if dims[1] else str(ALL)
    groups = ", ".join(["s", *(["e"] if dims[0] else []), *(["m"] if dims[1] else [])])
    sums = ", ".join(f"SUM(d.{c})" for c in COUNTERS)
    empty = ", ".join(["'{}'::jsonb" if connection.vendor == "postgresql" else "'{}'"] * len(SKETCHES))
    return (
        f"INSERT INTO {period} (grain, start, environment_id, model_id, {', '.join(COUNTERS)}, "  # noqa: S608
        f"{', '.join(SKETCHES)}) "
        f"SELECT '{grain}', {_trunc(grain, f'd.{day}')} AS s, {env} AS e, {model} AS m, {sums}, {empty} "
        f"FROM {table} AS d WHERE {where} AND d.{day} >= %s AND d.{day} < %s GROUP BY {groups}"
    )


def _batches(grain: str, first: dt.date, last: dt.date):
    """[from, to) day ranges of about a year covering first..last, each made of whole periods of `grain`."""
    year = first.year
    while True:
        a, b = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
        if grain == "W":
            a, b = period_starts(a)["W"], period_starts(b)["W"]
        if a > last:
            return
        yield a, b
        year += 1


def period_add(grain: str, a: dt.date, b: dt.date, *, apps=global_apps) -> None:
    """Make the rows of `grain` for the whole periods in the days [a, b), which have none yet, from the daily rows
    (a year's from its months' rows, which must be made first)."""
    daily = apps.get_model("deployments", "DeploymentDailyRollup")._meta.db_table
    period = apps.get_model("deployments", "DeploymentPeriodRollup")._meta.db_table
    with connection.cursor() as cursor:
        for dims in DIMENSIONS:
            cursor.execute(_counts_sql(grain, dims, daily, period), [a, b])
            for field in SKETCHES:
                cursor.execute(_sketch_sql(grain, field, dims, daily, period), [a, b])


def period_rebuild(*, apps=global_apps) -> int:
    """Replace the week, month and year rows by the daily rows added up; returns the rows made."""
    Daily = apps.get_model("deployments", "DeploymentDailyRollup")
    Period = apps.get_model("deployments", "DeploymentPeriodRollup")
    Period.objects.all().delete()
    span = Daily.objects.aggregate(a=Min("day"), b=Max("day"))
    if span["a"] is None:
        return 0
    for grain in ("W", "M", "Y"):
        first = period_starts(span["a"])["W"] if grain == "W" else span["a"]
        for a, b in _batches(grain, first, span["b"]):
            period_add(grain, a, b, apps=apps)
    return Period.objects.count()


def kpi_rollup_rebuild(*, apps=global_apps) -> int:
    """Recompute every rollup row — daily, then week, month and year — in one transaction; returns the daily rows
    made."""
    with transaction.atomic():
        made = daily_rebuild(apps=apps)
        period_rebuild(apps=apps)
    return made
