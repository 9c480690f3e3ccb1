"""Rebuilds the KPI rows per service and per supplier (DeploymentCutRollup, the cuts) from the daily rows, a month at
a time, adding them up as the services do (`cut_difference`): kpi_rollup_rebuild, bench_seed and migration 0028."""

from django.apps import apps as global_apps
from django.db import connection
from django.db.models import Max, Min

from apps.deployments.rollup_keys import ALL
from apps.deployments.services.kpi_rollup import (
    BATCH,
    COUNTERS,
    SKETCH_COUNTS,
    SKETCH_TEXT_AGG,
    SKETCHES,
    cut_difference,
    next_period_start,
)

CUT_COLUMNS = ("day", "cut", "cut_id", "environment_id", "model_id")


def _cut_sql(daily: str, cut: str) -> str:
    """PostgreSQL: INSERT the rows per service and supplier of the daily rows of the days [%(a)s, %(b)s) in one
    statement — each daily row counted towards its service and its supplier (none without one), per environment and
    model, every environment, every model and both; the counters summed and each sketch's buckets added up, as
    `cut_difference` adds them. Most rows add up a single daily row (a service's day in one environment and model):
    those take its sketches as they are, and only the rows of several have their buckets added up."""
    key = "s.day, s.cut, s.cut_id, s.e, s.m"
    ctes = [
        "src AS (SELECT d.day, c.cut, c.cut_id, f.e, f.m, "  # noqa: S608 (table names and constants only)
        + ", ".join(f"d.{name}" for name in (*COUNTERS, *SKETCHES))
        + f" FROM {daily} AS d "
        "CROSS JOIN LATERAL (VALUES ('S', d.service_id), ('U', d.supplier_id)) AS c (cut, cut_id) "
        f"CROSS JOIN LATERAL (VALUES (d.environment_id, d.model_id), ({ALL}, d.model_id), "
        f"(d.environment_id, {ALL}), ({ALL}, {ALL})) AS f (e, m) "
        "WHERE d.day >= %(a)s AND d.day < %(b)s AND c.cut_id <> 0)",
        f"c AS (SELECT {key}, count(*) AS rows, "  # noqa: S608
        + ", ".join(f"SUM(s.{c}) AS {c}" for c in COUNTERS)
        + ", "
        + ", ".join(f"(array_agg(s.{field}))[1] AS one_{field}" for field in SKETCHES)
        + f" FROM src AS s GROUP BY {key})",
        # the daily rows of the rows that add up several
        f"many AS (SELECT {key}, "  # noqa: S608
        + ", ".join(f"s.{name}" for name in (*(SKETCH_COUNTS[f] for f in SKETCHES), *SKETCHES))
        + " FROM src AS s JOIN c AS r ON (r.day, r.cut, r.cut_id, r.e, r.m) = (s.day, s.cut, s.cut_id, s.e, s.m) "
        "AND r.rows > 1)",
    ]
    for field in SKETCHES:
        ctes.append(
            f"b_{field} AS (SELECT {key}, j.key AS k, SUM((j.value->>0)::bigint)::bigint AS n, "  # noqa: S608
            f"SUM((j.value->>1)::bigint)::bigint AS t FROM many AS s, jsonb_each(s.{field}) AS j "
            f"WHERE s.{SKETCH_COUNTS[field]} > 0 GROUP BY {key}, j.key)"
        )
        ctes.append(
            f"k_{field} AS (SELECT {key}, {SKETCH_TEXT_AGG} AS sk FROM b_{field} AS s GROUP BY {key})"  # noqa: S608
        )
    joins = " ".join(
        f"LEFT JOIN k_{field} ON (k_{field}.day, k_{field}.cut, k_{field}.cut_id, k_{field}.e, k_{field}.m) "
        "= (c.day, c.cut, c.cut_id, c.e, c.m)"
        for field in SKETCHES
    )
    # a single daily row's sketch is its own (the added-up buckets of a row with none counted are none)
    sketches = ", ".join(
        f"CASE WHEN c.rows = 1 THEN CASE WHEN c.{SKETCH_COUNTS[field]} > 0 THEN c.one_{field} ELSE '{{}}'::jsonb END "
        f"ELSE COALESCE(k_{field}.sk, '{{}}'::jsonb) END"
        for field in SKETCHES
    )
    return (
        f"WITH {', '.join(ctes)} "  # noqa: S608
        f"INSERT INTO {cut} ({', '.join(CUT_COLUMNS)}, {', '.join(COUNTERS)}, {', '.join(SKETCHES)}) "
        f"SELECT c.day, c.cut, c.cut_id, c.e, c.m, {', '.join(f'c.{name}' for name in COUNTERS)}, {sketches} "
        f"FROM c {joins}"
    )


def _cut_month(sql: str, a, b) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"a": a, "b": b})


def cut_rebuild(*, apps=global_apps, run_all=None) -> int:
    """Replace the rows per service and supplier (DeploymentCutRollup) by the daily rows added up as the services add
    them (`cut_difference`), a month of daily rows at a time: on PostgreSQL one INSERT … SELECT a month
    (`_cut_sql`; `run_all(work, jobs)` may run the months on several connections, as bench_seed does), elsewhere in
    Python. Returns the rows made."""
    Daily = apps.get_model("deployments", "DeploymentDailyRollup")
    Cut = apps.get_model("deployments", "DeploymentCutRollup")
    Cut.objects.all().delete()
    span = Daily.objects.aggregate(a=Min("day"), b=Max("day"))
    if span["a"] is None:
        return 0
    months, month = [], span["a"].replace(day=1)
    while month <= span["b"]:
        months.append((month, next_period_start(month, "M")))
        month = months[-1][1]
    if connection.vendor == "postgresql":
        sql = _cut_sql(Daily._meta.db_table, Cut._meta.db_table)
        jobs = [(sql, a, b) for a, b in months]
        if run_all is None:
            for job in jobs:
                _cut_month(*job)
        else:
            run_all(_cut_month, jobs)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Cut._meta.db_table}")
        return Cut.objects.count()
    key, figures = ("day", "environment_id", "service_id", "model_id", "supplier_id"), (*COUNTERS, *SKETCHES)
    for a, b in months:
        rows = Daily.objects.filter(day__gte=a, day__lt=b).order_by().values_list(*key, *figures)
        diff = {tuple(r[:5]): dict(zip(figures, r[5:], strict=True)) for r in rows.iterator(BATCH)}
        cuts = [
            Cut(**dict(zip(("cut", "cut_id", "environment_id", "model_id", "day"), k, strict=True)), **part)
            for k, part in cut_difference(diff).items()
        ]
        Cut.objects.bulk_create(cuts, batch_size=BATCH)
    return Cut.objects.count()
