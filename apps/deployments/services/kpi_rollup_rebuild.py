"""Rebuilds the KPI rollups from the deployments (`manage.py kpi_rollup_rebuild`, the migrations, bench_seed and the
demo after bulk loads), in bounded memory whatever the number of deployments:

- the daily rows month by month: the deployments that finished or were planned to start in the month (with their
  incident links, ratings and roll-backs) go through the same `contribution` the services use, and the month's rows
  are inserted before the next month is read;
- the day, week, month and year rows from the daily rows by set-based SQL, a year of days per statement: one INSERT
  per grain and dimension that sums the counters, adds up each sketch's buckets with the database's JSON functions
  and reads the lead time median from the added-up buckets, so each row is written once and neither Python nor one
  statement ever holds more than a year. The level rows add up the models of each automation level, every model
  filed under its current level (RollupModelLevel);
- the rows per service and supplier (the cuts) from the daily rows: kpi_cut_rebuild.py."""

import datetime as dt

from django.apps import apps as global_apps
from django.db import connection, transaction
from django.db.models import Max, Min, Q

from apps.deployment_models.models import AutomationLevel
from apps.deployments import workflow
from apps.deployments.models.rollups import level_keys
from apps.deployments.rollup_keys import ALL
from apps.deployments.services.calendar_days import counts_rebuild
from apps.deployments.services.kpi_cut_rebuild import cut_rebuild
from apps.deployments.services.kpi_rollup import (
    ALIGNMENT_SUMS,
    BATCH,
    COUNTERS,
    DEPLOYMENT_FIELDS,
    FEEDBACK_SUMS,
    SKETCH_COUNTS,
    SKETCH_TEXT_AGG,
    SKETCHES,
    Facts,
    contribution,
    local_day,
    merge_part,
    next_period_start,
    period_starts,
)
from apps.deployments.services.practitioner_counts import practitioner_counts_rebuild

S = workflow.Status


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
        following = next_period_start(month, "M")
        rows = _daily_month(apps, month, following)
        Rollup.objects.bulk_create(rows, batch_size=BATCH)
        made += len(rows)
        month = following
    return made


# --- the period rows, by SQL ---------------------------------------------------------------------------------

LEVEL = "level"  # the model dimension of the level rows (every model of an automation level, as filed)
DIMENSIONS = (
    ("environment_id", "model_id"),
    ("environment_id", None),
    (None, "model_id"),
    (None, None),
    ("environment_id", LEVEL),
    (None, LEVEL),
)


def _trunc(grain: str, column: str) -> str:
    if grain == "D":
        return column if connection.vendor == "postgresql" else f"date({column})"
    if connection.vendor == "postgresql":
        unit = {"W": "week", "M": "month", "Y": "year"}[grain]
        return f"date_trunc('{unit}', {column}::timestamp)::date"
    modifiers = {"W": "'-6 days', 'weekday 1'", "M": "'start of month'", "Y": "'start of year'"}[grain]
    return f"date({column}, {modifiers})"


def _levels_sql() -> str:
    """(level, key): the level rows each automation level adds to, as a table."""
    return " UNION ALL ".join(
        f"SELECT '{level}' AS level, {key} AS k" for level in AutomationLevel.values for key in level_keys(level)
    )


def _source(grain: str, dims: tuple, tables: tuple) -> tuple[str, str, str, str, str]:
    """(FROM, day column, condition, environment expression, model expression) of the rows `d`
    the rows of `grain` and `dims` add up — the fewest that do: the day rows per environment and model from the daily
    rows, the weeks' and months' from the day rows, a year's from its months' rows; the rows over every environment
    or model, and the level rows (through the filed levels), from the rows per environment and model of the same
    grain (each made first)."""
    daily, period, filed = tables
    per_key = f"d.environment_id <> {ALL} AND d.model_id >= 0"
    if dims == ("environment_id", "model_id"):
        if grain == "D":
            source, day, where = f"{daily} AS d", "day", "1 = 1"
        else:
            source, day, where = f"{period} AS d", "start", f"d.grain = '{'M' if grain == 'Y' else 'D'}' AND {per_key}"
    else:
        source, day, where = f"{period} AS d", "start", f"d.grain = '{grain}' AND {per_key}"
    if dims[1] == LEVEL:
        source += f" JOIN {filed} AS f ON f.model_id = d.model_id"
        source += f" JOIN ({_levels_sql()}) AS lv ON lv.level = f.automation_level"
    env = "d.environment_id" if dims[0] else str(ALL)
    model = {None: str(ALL), LEVEL: "lv.k"}.get(dims[1], "d.model_id")
    return source, day, where, env, model


def _buckets_sql(field: str) -> str:
    """(s, e, m, k, n, t): the buckets of `field`'s sketches of the source rows `src`, added up per period row and
    bucket (rows whose sketch is empty left out)."""
    if connection.vendor == "postgresql":
        each, n, total = f"jsonb_each(src.{field})", "(j.value->>0)::bigint", "(j.value->>1)::bigint"
    else:
        each, n, total = f"json_each(src.{field})", "json_extract(j.value, '$[0]')", "json_extract(j.value, '$[1]')"
    return (
        f"SELECT s, e, m, j.key AS k, CAST(SUM({n}) AS BIGINT) AS n, CAST(SUM({total}) AS BIGINT) AS t "  # noqa: S608
        f"FROM src, {each} AS j WHERE src.{SKETCH_COUNTS[field]} > 0 GROUP BY s, e, m, j.key"
    )


def _median_sql() -> str:
    """(s, e, m, median): the lead time median of each period row from its added-up buckets `b_lead_sketch`, read
    as sketch_quantiles reads a sketch: the means of the buckets at ranks ⌊(n−1)/2⌋ and ⌈(n−1)/2⌉, interpolated."""
    if connection.vendor == "postgresql":
        real, half, zero = "DOUBLE PRECISION", "CAST(0.5 AS DOUBLE PRECISION)", "CAST(0.0 AS DOUBLE PRECISION)"
    else:
        real, half, zero = "REAL", "0.5", "0.0"
    return (
        "SELECT s, e, m, lo + (hi - lo) * frac AS median FROM ("  # noqa: S608 (constants only)
        "SELECT s, e, m, MAX(CASE WHEN cum - n <= (total - 1) / 2 AND (total - 1) / 2 < cum THEN mean END) AS lo, "
        "MAX(CASE WHEN cum - n <= total / 2 AND total / 2 < cum THEN mean END) AS hi, "
        f"MAX(CASE WHEN (total / 2) * 2 = total THEN {half} ELSE {zero} END) AS frac FROM ("
        f"SELECT s, e, m, n, CAST(t AS {real}) / n AS mean, "
        "CAST(SUM(n) OVER (PARTITION BY s, e, m ORDER BY CAST(k AS INTEGER)) AS BIGINT) AS cum, "
        "CAST(SUM(n) OVER (PARTITION BY s, e, m) AS BIGINT) AS total "
        "FROM b_lead_sketch) AS r GROUP BY s, e, m) AS x"
    )


def _period_insert_sql(grain: str, period: str, ctes: list[str], empty: str) -> str:
    """The INSERT of `grain`'s period rows that both period statements end with: the counters of `c`, each sketch of
    `k_<sketch>` (`empty` where a key has none) and the lead time median of `med`, joined by period and key."""
    ctes = [*ctes, f"med AS ({_median_sql()})"]
    joins = " ".join(
        f"LEFT JOIN {name} ON {name}.s = c.s AND {name}.e = c.e AND {name}.m = c.m"
        for name in (*(f"k_{field}" for field in SKETCHES), "med")
    )
    return (
        f"WITH {', '.join(ctes)} "  # noqa: S608
        f"INSERT INTO {period} (grain, start, environment_id, model_id, {', '.join(COUNTERS)}, "
        f"{', '.join(SKETCHES)}, lead_median) "
        f"SELECT '{grain}', c.s, c.e, c.m, {', '.join(f'c.{c}' for c in COUNTERS)}, "
        + ", ".join(f"COALESCE(k_{field}.sk, {empty})" for field in SKETCHES)
        + f", med.median FROM c {joins}"
    )


def _period_sql(grain: str, dims: tuple, tables: tuple) -> str:
    """INSERT the period rows of `grain` and `dims` for the source rows (`_source`) of the days [%s, %s), in one
    statement: the counters summed, each sketch's buckets added up, and the lead time median read from the added-up
    buckets — every row written once, the source rows read once."""
    period = tables[1]
    source, day, where, env, model = _source(grain, dims, tables)
    if connection.vendor == "postgresql":
        agg, empty = "jsonb_object_agg(k, jsonb_build_array(n, t))", "'{}'::jsonb"
    else:
        agg, empty = "json_group_object(k, json_array(n, t))", "'{}'"
    start = _trunc(grain, f"d.{day}")
    picked = ", ".join(f"d.{c}" for c in (*COUNTERS, *SKETCHES))
    ctes = [
        f"src AS (SELECT {start} AS s, {env} AS e, {model} AS m, {picked} "  # noqa: S608 (names and SQL of this module)
        f"FROM {source} WHERE {where} AND d.{day} >= %s AND d.{day} < %s)",
        "c AS (SELECT s, e, m, "  # noqa: S608
        + ", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)
        + " FROM src GROUP BY s, e, m)",
    ]
    for field in SKETCHES:
        ctes.append(f"b_{field} AS ({_buckets_sql(field)})")
        ctes.append(f"k_{field} AS (SELECT s, e, m, {agg} AS sk FROM b_{field} GROUP BY s, e, m)")  # noqa: S608
    return _period_insert_sql(grain, period, ctes, empty)


def _period_all_sql(grain: str, tables: tuple) -> str:
    """PostgreSQL: INSERT the period rows of `grain` of every dimension at once for the source rows per environment
    and model of the days [%(a)s, %(b)s) — each source row and each sketch read once and added up per period,
    environment and model first, then those sums counted towards their own key, every environment, every model, both,
    and their model's level rows (a bulk load's `period_add`; the rebuild keeps one statement a dimension, so a test
    compares the two). Adding up before fanning out: a week's or a month's day rows, and a busy day's rows per
    service and supplier, are fanned out six times as a few sums instead of as each row."""
    _daily, period, filed = tables
    source, day, where, _env, _model = _source(grain, ("environment_id", "model_id"), tables)
    fans = {
        "": "CROSS JOIN LATERAL (VALUES (x.e0, x.m0), (-1, x.m0), (x.e0, -1), (-1, -1)) AS f (e, m)",
        "lv": "JOIN lvmap AS lm ON lm.m0 = x.m0 CROSS JOIN LATERAL (VALUES (x.e0, lm.lk), (-1, lm.lk)) AS f (e, m)",
    }
    sums = ", ".join(f"SUM(x.{c}) AS {c}" for c in COUNTERS)
    ctes = [
        f"base AS (SELECT {_trunc(grain, f'd.{day}')} AS s, d.environment_id AS e0, d.model_id AS m0, "  # noqa: S608
        + ", ".join(f"d.{c}" for c in (*COUNTERS, *SKETCHES))
        + f" FROM {source} WHERE {where} AND d.{day} >= %(a)s AND d.{day} < %(b)s)",
        f"lvmap AS (SELECT fl.model_id AS m0, lv.k AS lk FROM {filed} AS fl "  # noqa: S608
        f"JOIN ({_levels_sql()}) AS lv ON lv.level = fl.automation_level)",
        f"c0 AS (SELECT x.s, x.e0, x.m0, {sums} FROM base AS x GROUP BY x.s, x.e0, x.m0)",  # noqa: S608
        "c AS ("  # noqa: S608
        + " UNION ALL ".join(
            f"SELECT x.s, f.e, f.m, {sums} FROM c0 AS x {fan} GROUP BY x.s, f.e, f.m"  # noqa: S608
            for fan in fans.values()
        )
        + ")",
    ]
    for field in SKETCHES:
        ctes.append(
            f"j_{field} AS (SELECT b.s, b.e0, b.m0, j.key AS k, SUM((j.value->>0)::bigint)::bigint AS n, "  # noqa: S608
            f"SUM((j.value->>1)::bigint)::bigint AS t FROM base AS b, jsonb_each(b.{field}) AS j "
            f"WHERE b.{SKETCH_COUNTS[field]} > 0 GROUP BY b.s, b.e0, b.m0, j.key)"
        )
        ctes.append(
            f"b_{field} AS ("  # noqa: S608
            + " UNION ALL ".join(
                f"SELECT x.s, f.e, f.m, x.k, SUM(x.n)::bigint AS n, SUM(x.t)::bigint AS t "  # noqa: S608
                f"FROM j_{field} AS x {fan} GROUP BY x.s, f.e, f.m, x.k"
                for fan in fans.values()
            )
            + ")"
        )
        ctes.append(
            f"k_{field} AS (SELECT s, e, m, {SKETCH_TEXT_AGG} AS sk "  # noqa: S608
            f"FROM b_{field} GROUP BY s, e, m)"
        )
    return _period_insert_sql(grain, period, ctes, "'{}'::jsonb")


def period_add_all(grain: str, a: dt.date, b: dt.date, *, apps=global_apps) -> None:
    """`period_add` in one statement on PostgreSQL (`_period_all_sql`): the same rows, each source row read once."""
    with connection.cursor() as cursor:
        cursor.execute(_period_all_sql(grain, _tables(apps)), {"a": a, "b": b})


def period_batches(grain: str, first: dt.date, last: dt.date):
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


def levels_refile(*, apps=global_apps) -> None:
    """File every model under its current automation level (the level rows are then rebuilt from the daily rows)."""
    DeploymentModel = apps.get_model("deployment_models", "DeploymentModel")
    Filed = apps.get_model("deployments", "RollupModelLevel")
    Filed.objects.all().delete()
    Filed.objects.bulk_create(
        Filed(model_id=pk, automation_level=level)
        for pk, level in DeploymentModel.objects.values_list("pk", "automation_level").iterator(BATCH)
    )


def _tables(apps) -> tuple[str, str, str]:
    return tuple(
        apps.get_model("deployments", name)._meta.db_table
        for name in ("DeploymentDailyRollup", "DeploymentPeriodRollup", "RollupModelLevel")
    )


def period_add(grain: str, a: dt.date, b: dt.date, *, apps=global_apps) -> None:
    """Make the rows of `grain` for the whole periods in the days [a, b), which have none yet, with their lead time
    medians: the day rows from the daily rows, the weeks' and months' from the day rows, a year's from its months'
    (which must be made first), the level rows under the levels the models are filed under (`levels_refile`)."""
    tables = _tables(apps)
    with connection.cursor() as cursor:
        for dims in DIMENSIONS:  # in this order: the rows per environment and model first, the others add them up
            cursor.execute(_period_sql(grain, dims, tables), [a, b])


def period_rebuild(*, apps=global_apps) -> int:
    """Replace the day, week, month and year rows by the daily rows added up (the level rows with every model filed
    under its current level), and their lead time medians; returns the rows made."""
    Daily = apps.get_model("deployments", "DeploymentDailyRollup")
    Period = apps.get_model("deployments", "DeploymentPeriodRollup")
    Period.objects.all().delete()
    levels_refile(apps=apps)
    span = Daily.objects.aggregate(a=Min("day"), b=Max("day"))
    if span["a"] is None:
        return 0
    for grain in ("D", "W", "M", "Y"):  # in this order: each is added up from the one before
        first = period_starts(span["a"])["W"] if grain == "W" else span["a"]
        for a, b in period_batches(grain, first, span["b"]):
            period_add(grain, a, b, apps=apps)
    if connection.vendor == "postgresql":  # millions of new rows: plan the KPIs' reads on their statistics now
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_tables(apps)[1]}")
    return Period.objects.count()


def kpi_rollup_rebuild(*, apps=global_apps) -> int:
    """Recompute every rollup row — daily, then week, month and year and the cuts by service and supplier, the
    calendar's day counts and the practitioners' finished deployments — in one transaction; returns the daily rows
    made."""
    with transaction.atomic():
        made = daily_rebuild(apps=apps)
        period_rebuild(apps=apps)
        cut_rebuild(apps=apps)
        counts_rebuild(apps=apps)
        practitioner_counts_rebuild(apps=apps)
    return made
