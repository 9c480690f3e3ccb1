"""The KPI rollups of a data set generated in the database (`dataset_sql`), computed by PostgreSQL from the loaded
rows: the daily rows by one GROUP BY a range of days (over the deployments, their incident links and ratings), then
the day, week, month and year rows by the same `period_add` the rebuild uses — ranges on two connections at once.

Each figure is `kpi_rollup.contribution`'s, written in SQL: durations rounded to whole seconds half to even (as
Python's `round`) and filed in the sketch's bucket ⌈log_γ s − 10⁻⁹⌉ (the same `log` of the same doubles). One fact
is the generator's own rather than read back: a rolled-back deployment was rolled back 20 minutes after its end (its
event says so; reading ten million deployments' events back for it would cost more than the rest). A test checks the
rows equal a rebuild from the loaded rows."""

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from django.conf import settings
from django.db import connection

from apps.bench.shapes import ROLLED_BACK_AFTER
from apps.deployments.models import (
    Deployment,
    DeploymentCutRollup,
    DeploymentDailyRollup,
    DeploymentPeriodRollup,
    Feedback,
    IncidentLink,
)
from apps.deployments.services.kpi_cut_rebuild import cut_rebuild
from apps.deployments.services.kpi_rollup import COUNTERS, SKETCH_TEXT_AGG, SKETCHES, period_starts
from apps.deployments.services.kpi_rollup_rebuild import levels_refile, period_add_all, period_batches
from apps.deployments.workflow import Status as S

KEY = "day, e, s, m, p"


def _whole(interval: str) -> str:
    """The whole seconds of an interval, as `sketch.whole_seconds` rounds them (half to even, never below zero)."""
    ep = f"extract(epoch FROM {interval})"
    return (
        f"greatest(CASE WHEN {ep} - floor({ep}) = 0.5 AND mod(floor({ep}), 2) = 0 THEN floor({ep}) "
        f"ELSE round({ep}) END, 0)::bigint"
    )


BUCKET = "CASE WHEN secs < 1 THEN '0' ELSE ceil(ln(secs::float8) / ln(1.005::float8) - 1e-9::float8)::bigint::text END"


def _join(sketch: str) -> str:
    on = " AND ".join(f"{sketch}.{c} = c.{c}" for c in ("day", "e", "s", "m", "p"))
    return f"LEFT JOIN k AS {sketch} ON {on} AND {sketch}.sk = '{sketch}'"


def _q(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _daily_sql() -> str:
    dep, inc, fb = (connection.ops.quote_name(m._meta.db_table) for m in (Deployment, IncidentLink, Feedback))
    daily = connection.ops.quote_name(DeploymentDailyRollup._meta.db_table)
    done, failed = f"('{S.COMPLETED}', '{S.FAILED}', '{S.ROLLED_BACK}')", f"('{S.FAILED}', '{S.ROLLED_BACK}')"
    local = "AT TIME ZONE %(tz)s)::date"
    counted = {
        "finished": "1",
        "completed": f"(status = '{S.COMPLETED}')::int",
        "failed": f"(status IN {failed})::int",
        "with_incidents": "(incidents > 0)::int",
        "change_failures": f"(status IN {failed} OR incidents > 0)::int",
        "on_schedule": "(actual_start IS NOT NULL AND planned_start IS NOT NULL AND planned_end IS NOT NULL "
        "AND actual_start >= planned_start AND actual_end <= planned_end)::int",
        "lead_n": f"(status = '{S.COMPLETED}' AND submitted_at IS NOT NULL)::int",
        "restore_failures": f"(status IN {failed})::int + incidents",
        "restore_n": f"resolved + (status = '{S.ROLLED_BACK}')::int",
        "feedback_n": "fb_n",
        "feedback_lead_sum": "fb_lead",
        "feedback_quality_sum": "fb_quality",
        "rate_n": "fb_rate_n",
        "rate_sum": "fb_rate",
        "release_n": f"(status = '{S.COMPLETED}' AND released_at IS NOT NULL)::int",
    }
    planned = {"planned": "1", "overrides": "COALESCE(override_count, 0)"}
    fin_cols = ", ".join(f"{counted.get(c, '0')} AS {c}" for c in COUNTERS)
    plan_cols = ", ".join(f"{planned.get(c, '0')} AS {c}" for c in COUNTERS)
    in_days = "day >= %(a)s AND day < %(b)s"
    return f"""
WITH dep AS (
  SELECT id, status, environment_id AS e, service_id AS s, COALESCE(model_id, 0) AS m, COALESCE(supplier_id, 0) AS p,
    planned_start, planned_end, actual_start, actual_end, submitted_at, override_count, released_at
  FROM {dep} WHERE id >= %(lo)s AND id < %(hi)s AND status NOT IN ('{S.DRAFT}', '{S.CANCELLED}')),
inc AS (SELECT deployment_id AS id, count(*) AS incidents, count(resolved_at) AS resolved FROM {inc}
  WHERE withdrawn_at IS NULL AND deployment_id >= %(lo)s AND deployment_id < %(hi)s GROUP BY deployment_id),
fb AS (SELECT deployment_id AS id, count(*) AS fb_n, sum(rating_lead_time) AS fb_lead,
    sum(rating_quality) AS fb_quality, count(rating_rate_of_change) AS fb_rate_n,
    COALESCE(sum(rating_rate_of_change), 0) AS fb_rate
  FROM {fb} WHERE deployment_id >= %(lo)s AND deployment_id < %(hi)s GROUP BY deployment_id),
fin AS (SELECT dep.*, (actual_end {local} AS day, COALESCE(incidents, 0) AS incidents,
    COALESCE(resolved, 0) AS resolved, COALESCE(fb_n, 0) AS fb_n, COALESCE(fb_lead, 0) AS fb_lead,
    COALESCE(fb_quality, 0) AS fb_quality,
    COALESCE(fb_rate_n, 0) AS fb_rate_n, COALESCE(fb_rate, 0) AS fb_rate
  FROM dep LEFT JOIN inc USING (id) LEFT JOIN fb USING (id) WHERE status IN {done} AND actual_end IS NOT NULL),
parts AS (
  SELECT {KEY}, {fin_cols} FROM fin WHERE {in_days}
  UNION ALL
  SELECT (planned_start {local} AS day, e, s, m, p, {plan_cols} FROM dep
  WHERE planned_start IS NOT NULL AND (planned_start {local} >= %(a)s AND (planned_start {local} < %(b)s),
c AS (SELECT {KEY}, {", ".join(f"SUM({c}) AS {c}" for c in COUNTERS)} FROM parts GROUP BY {KEY}),
dur AS (
  SELECT {KEY}, 'lead_sketch' AS sk, {_whole("actual_end - submitted_at")} AS secs FROM fin
  WHERE {in_days} AND status = '{S.COMPLETED}' AND submitted_at IS NOT NULL
  UNION ALL
  SELECT {KEY}, 'release_sketch', {_whole("released_at - actual_end")} FROM fin
  WHERE {in_days} AND status = '{S.COMPLETED}' AND released_at IS NOT NULL
  UNION ALL
  SELECT {KEY}, 'restore_sketch', {_whole("i.resolved_at - i.opened_at")} FROM fin JOIN {inc} AS i
  ON i.deployment_id = fin.id AND i.withdrawn_at IS NULL AND i.resolved_at IS NOT NULL WHERE {in_days}
  UNION ALL
  SELECT {KEY}, 'restore_sketch', {_whole("%(rolled_back_after)s * interval '1 second'")} FROM fin
  WHERE {in_days} AND status = '{S.ROLLED_BACK}'),
b AS (SELECT {KEY}, sk, {BUCKET} AS k, count(*) AS n, sum(secs) AS t FROM dur GROUP BY {KEY}, sk, k),
k AS (SELECT {KEY}, sk, {SKETCH_TEXT_AGG} AS sketch FROM b GROUP BY {KEY}, sk)
INSERT INTO {daily} (day, environment_id, service_id, model_id, supplier_id, {", ".join(COUNTERS)},
  {", ".join(SKETCHES)})
SELECT c.*, {", ".join(f"COALESCE({sk}.sketch, '{{}}')" for sk in SKETCHES)}
FROM c {" ".join(_join(sk) for sk in SKETCHES)}
"""  # noqa: S608 (SQL of this module, names of models, constants)


def _day_ranges(r: dict, total: int) -> list[tuple[dt.date, dt.date, int, int]]:
    """(first day, day after the last, first index, index after the last): ranges of days covering the data set, each
    with the range of deployments that can count on them — the generator plans the i-th deployment within four hours
    after `first + i × step` and ends it within eight hours after that, so a day's deployments lie within two days of
    its ids either way."""
    first, step = r["first"], r["step"]
    day0, last = first.date() - dt.timedelta(days=2), (first + step * total).date() + dt.timedelta(days=3)
    days = (last - day0).days
    pieces = max(min(days, 4), min(days, total // 50_000, 400))
    cuts = [day0 + dt.timedelta(days=days * n // pieces) for n in range(pieces + 1)]
    ranges = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        lo = (dt.datetime.combine(a, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=2) - first) // step
        hi = (dt.datetime.combine(b, dt.time.min, tzinfo=dt.UTC) + dt.timedelta(days=2) - first) // step + 1
        ranges.append((a, b, max(lo, 0) + r["dep_id"], min(hi, total) + r["dep_id"]))
    return ranges


def _daily_range(a: dt.date, b: dt.date, lo: int, hi: int) -> int:
    values = {"a": a, "b": b, "lo": lo, "hi": hi, "tz": settings.TIME_ZONE}
    values["rolled_back_after"] = int(ROLLED_BACK_AFTER.total_seconds())
    with connection.cursor() as cursor:
        # its parts are joined on five columns, and with the planner's estimates of a range's groups far too low a
        # nested loop over two of them takes time quadratic in the range's deployments
        cursor.execute("SET enable_nestloop = off")
        try:
            cursor.execute(_daily_sql(), values)
            return cursor.rowcount
        finally:
            cursor.execute("RESET enable_nestloop")


def _period_add(grain: str, a: dt.date, b: dt.date) -> int:
    period_add_all(grain, a, b)
    return 0


class KeysBuiltAfter:
    """Drop a table's primary key and unique constraints for a bulk INSERT and add them back after (the same
    definitions, read from the catalogue): one sorted build of each index instead of one insertion a row in the order
    the rows come — about a third of the INSERT of a year of day rows. Nothing may read the table by them meanwhile."""

    def __init__(self, model):
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.constraints: list[tuple[str, str]] = []

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('p', 'u') ORDER BY contype, conname",
                [self.table],
            )
            self.constraints = cursor.fetchall()
            for name, _definition in self.constraints:
                cursor.execute(f"ALTER TABLE {self.table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in self.constraints:
                cursor.execute(
                    f"ALTER TABLE {self.table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                )
            cursor.execute("RESET maintenance_work_mem")
        return False


def rollups_make(r: dict, total: int, in_thread=None, *, workers: int = 2, out=None) -> int:
    """Make the daily rows of the generated deployments, then every period row; returns the daily rows made.
    `in_thread(work, *args)` runs `work` on a thread's own connection; without it, or inside a transaction (which
    other connections do not see), everything runs on this connection."""
    pool = None
    if in_thread is not None and workers > 1 and not connection.in_atomic_block:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rollups")

    def run_all(work, jobs: list[tuple]) -> list:
        if pool is None:
            return [work(*job) for job in jobs]
        return [done.result() for done in [pool.submit(in_thread, work, *job) for job in jobs]]

    daily = connection.ops.quote_name(DeploymentDailyRollup._meta.db_table)

    def log(what: str, since: float) -> None:
        if out is not None:
            out.write(f"  {what}: {time.monotonic() - since:.1f} s\n")

    try:
        with connection.cursor() as cursor:
            # freshly loaded, the tables look empty to the planner until autovacuum has analyzed them
            cursor.execute(f"ANALYZE {', '.join(_q(m) for m in (Deployment, IncidentLink, Feedback))}")
        started = time.monotonic()
        with KeysBuiltAfter(DeploymentDailyRollup):  # the day rows read the daily rows by their key: built first
            made = sum(run_all(_daily_range, _day_ranges(r, total)))
        log(f"{made:,} daily rows", started)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT MIN(day), MAX(day) FROM {daily}")  # noqa: S608 (a model's table)
            span = cursor.fetchone()
        if span[0] is None:
            return made
        levels_refile()
        # in this order: each grain is added up from the one before (a week and a month from days, a year from months)
        for grains in (("D",), ("W", "M"), ("Y",)):
            jobs = []
            for grain in grains:
                first = period_starts(span[0])["W"] if grain == "W" else span[0]
                jobs += [(grain, a, b) for a, b in period_batches(grain, first, span[1])]
            started = time.monotonic()
            # the day rows are read from the daily rows; the weeks and months read the day rows by their key
            with KeysBuiltAfter(DeploymentPeriodRollup) if grains == ("D",) else nullcontext():
                run_all(_period_add, jobs)
            log(f"period rows of grain {' and '.join(grains)}", started)
        return made
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def cuts_make(in_thread=None, *, workers: int = 2, out=None) -> int:
    """The KPI rows per service and supplier (DeploymentCutRollup) of the seeded daily rows, as `cut_rebuild` makes
    them, its months on `workers` connections at once (`in_thread`, as `rollups_make`) and the table's keys built
    after the rows; returns the rows made. At ten million, on one connection with the keys in place, this was the
    last 16 minutes of the seed."""
    if connection.vendor != "postgresql":
        return cut_rebuild()
    pool = None
    if in_thread is not None and workers > 1 and not connection.in_atomic_block:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cuts")

    def run_all(work, jobs: list[tuple]) -> list:
        return [done.result() for done in [pool.submit(in_thread, work, *job) for job in jobs]]

    started = time.monotonic()
    try:
        with KeysBuiltAfter(DeploymentCutRollup):
            made = cut_rebuild(run_all=run_all if pool is not None else None)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    if out is not None:
        out.write(f"{made:,} KPI rows per service and supplier: {time.monotonic() - started:.1f} s\n")
    return made
