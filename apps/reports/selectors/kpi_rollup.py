"""The KPIs' figures read from the rollups (apps/deployments/models/rollups.py): one aggregate over the rows of the
period and the filters, and the merged sketches of the durations — without scanning deployments, so a figure costs
the same cold as cached (README "KPI rollups").

A period is read from the coarsest rows that cover it (`period_cover`): whole years, then whole months, then whole
weeks, then the days left at its edges, from the day, week, month and year rows. The period rows add up every
service and supplier, so a cut by service, supplier or an owner's services reads the rows per day and service (or
supplier) instead (DeploymentCutRollup: a row per day and service over every environment and model, per environment
or per model where the figure needs them); only a cut by a supplier together with a service or an owner's services
reads the daily rows."""

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from django.db import connection
from django.db.models import DateField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import TruncMonth, TruncWeek

from apps.deployment_models.models import DeploymentModel, ModelStatus
from apps.deployments.models import (
    ALL,
    AUTOMATION_LEVELS,
    LEVEL_KEYS,
    Cut,
    DeploymentCutRollup,
    DeploymentDailyRollup,
    DeploymentPeriodRollup,
    RollupModelLevel,
)
from apps.deployments.services.kpi_rollup import next_period_start, period_starts
from apps.environments.models import Environment, EnvironmentKind

AGREED_STATUSES = (ModelStatus.ACTIVE, ModelStatus.PILOT, ModelStatus.RETIRED)
REPORT_GRAINS = ("Y", "M", "W", "D")  # coarsest first
TREND_GRAINS = {"week": ("W", "D"), "month": ("M", "D")}  # whole buckets, then the days of the partial ones
SUMMED = (
    "finished",
    "completed",
    "failed",
    "with_incidents",
    "on_schedule",
    "lead_n",
    "planned",
    "overrides",
    "feedback_n",
    "feedback_lead_sum",
    "feedback_quality_sum",
    "rate_n",
    "rate_sum",
    "alignment_n",
    "alignment_sum",
    "release_n",
)


def production_q() -> Q:
    return Q(environment_id__in=Environment.objects.filter(kind=EnvironmentKind.PRODUCTION).values("pk"))


def agreed_q() -> Q:
    """Under a model agreed now (active, pilot or retired): the model's status is read at query time."""
    return Q(model_id__in=DeploymentModel.objects.filter(status__in=AGREED_STATUSES).values("pk"))


def _pk(obj) -> int:
    return getattr(obj, "pk", obj)


def level_rows(levels) -> tuple[int, ...]:
    """The model keys of the level rows of `levels` (keys of AUTOMATION_LEVELS), or () when they cannot be read: a
    model filed under one of these levels is of another now, or the other way round (its level changed since the
    rows were written; they are read per model until `kpi_rollup_rebuild` files it again)."""
    members = {m for level in levels for m in AUTOMATION_LEVELS[level]}
    now = DeploymentModel.objects.filter(pk=OuterRef("model_id")).values("automation_level")
    for filed, current in RollupModelLevel.objects.annotate(now=Subquery(now)).values_list("automation_level", "now"):
        if filed != current and (filed in members or current in members):
            return ()
    return tuple(LEVEL_KEYS[level] for level in levels)


# --- which rows cover a period -------------------------------------------------------------------------------


def period_cover(first: dt.date, last: dt.date, grains=REPORT_GRAINS) -> tuple[dict[str, list], list[tuple]]:
    """({grain: [start, ...]}, [(first day, last day), ...]): the whole periods of each grain, coarsest first, that
    lie in first..last (inclusive) and are not covered by a coarser one, and the day ranges left over (at most one
    at each edge of each coarser run)."""
    periods: dict[str, list] = {}
    ranges = [(first, last)] if first <= last else []
    for grain in grains:
        left = []
        for a, b in ranges:
            start = period_starts(a)[grain]
            if start < a:
                start = next_period_start(start, grain)
            starts = []
            while next_period_start(start, grain) - dt.timedelta(days=1) <= b:
                starts.append(start)
                start = next_period_start(start, grain)
            if not starts:
                left.append((a, b))
                continue
            periods.setdefault(grain, []).extend(starts)
            if a < starts[0]:
                left.append((a, starts[0] - dt.timedelta(days=1)))
            if start <= b:
                left.append((start, b))
        ranges = left
    return periods, ranges


@dataclass(frozen=True)
class RollupScope:
    """The rollup rows of a period and filters. `services` limits them to a user's services (service and product
    owners see only theirs); `models` to a set of models (an automation level). `levels`: the model keys of the level
    rows to read instead of the rows per model where no row per model is needed (from `level_rows`; none when a
    model of the level changed level since it was filed)."""

    first: dt.date
    last: dt.date
    services: QuerySet | None = None
    environment: object = None
    service: object = None
    model: object = None
    supplier: object = None
    models: QuerySet | None = None
    levels: tuple[int, ...] = ()

    @property
    def daily_only(self) -> bool:
        """Whether the period rows cannot answer (they add up every service and supplier)."""
        return self.services is not None or self.service is not None or self.supplier is not None

    @property
    def by_cut(self) -> bool:
        """Whether the rows per service or per supplier answer: a cut by one of the two, not both."""
        by_service = self.services is not None or self.service is not None
        return by_service != (self.supplier is not None)

    def _cuts(self, *, environments: bool, models: bool) -> QuerySet[DeploymentCutRollup]:
        """The rows per day and service (or supplier) of the period: over every environment and model unless the
        filters or the figure (`environments`, `models`) need the rows per environment or per model."""
        qs = DeploymentCutRollup.objects.filter(day__gte=self.first, day__lte=self.last).order_by()
        if self.supplier is not None:
            qs = qs.filter(cut=Cut.SUPPLIER, cut_id=_pk(self.supplier))
        else:
            qs = qs.filter(cut=Cut.SERVICE)
            if self.service is not None:
                qs = qs.filter(cut_id=_pk(self.service))
            if self.services is not None:
                qs = qs.filter(cut_id__in=self.services.values("pk"))
        if self.environment is not None:
            qs = qs.filter(environment_id=_pk(self.environment))
        else:
            qs = qs.filter(environment_id__gte=0) if environments else qs.filter(environment_id=ALL)
        if self.model is not None:
            qs = qs.filter(model_id=_pk(self.model))
        elif models or self.models is not None or self.levels:  # no level rows here: a level's models' own
            qs = qs.filter(model_id__gte=0)
        else:
            qs = qs.filter(model_id=ALL)
        if self.models is not None:
            qs = qs.filter(model_id__in=self.models.values("pk"))
        return qs

    def _daily(self, ranges) -> QuerySet[DeploymentDailyRollup]:
        days = Q()
        for a, b in ranges:
            days |= Q(day__gte=a, day__lte=b)
        qs = DeploymentDailyRollup.objects.filter(days).order_by()
        if self.services is not None:
            qs = qs.filter(service_id__in=self.services.values("pk"))
        for name, value in (("environment_id", self.environment), ("service_id", self.service)):
            if value is not None:
                qs = qs.filter(**{name: _pk(value)})
        for name, value in (("model_id", self.model), ("supplier_id", self.supplier)):
            if value is not None:
                qs = qs.filter(**{name: _pk(value)})
        if self.models is not None:
            qs = qs.filter(model_id__in=self.models.values("pk"))
        return qs

    def _periods(self, periods: dict, *, environments: bool, models: bool) -> QuerySet[DeploymentPeriodRollup]:
        which = Q()
        for grain, starts in periods.items():
            which |= Q(grain=grain, start__in=starts)
        qs = DeploymentPeriodRollup.objects.filter(which).order_by()
        if self.environment is not None:
            qs = qs.filter(environment_id=_pk(self.environment))
        else:
            qs = qs.exclude(environment_id=ALL) if environments else qs.filter(environment_id=ALL)
        if self.model is not None:
            qs = qs.filter(model_id=_pk(self.model))
            if self.models is not None:
                qs = qs.filter(model_id__in=self.models.values("pk"))
        elif self.levels and not models:
            qs = qs.filter(model_id__in=self.levels)
        elif self.models is not None:
            qs = qs.filter(model_id__in=self.models.values("pk"))
        else:
            qs = qs.filter(model_id__gte=0) if models else qs.filter(model_id=ALL)
        return qs

    def one_row_per_period(self, *, models: bool) -> bool:
        """Whether each period is one row of `parts(environments=False, models=models)` (so a row's own lead time
        median is the period's): one environment or all, one model, one level's rows, or all."""
        if self.daily_only or models:
            return False
        if self.model is not None:
            return True
        return len(self.levels) == 1 if self.levels else self.models is None

    def parts(self, *, environments: bool = True, models: bool = True, grains=REPORT_GRAINS) -> list[QuerySet]:
        """The querysets whose rows add up to the scope: period rows for the whole periods of `grains`, daily rows
        for the rest. `environments` / `models`: rows per environment / model are needed (to tell production or
        agreed models apart); otherwise rows over every environment / model are read where the filters allow."""
        if self.by_cut:
            return [self._cuts(environments=environments, models=models)]
        if self.daily_only:
            return [self._daily([(self.first, self.last)])]
        periods, ranges = period_cover(self.first, self.last, grains)
        parts = [self._daily(ranges)] if ranges else []
        if periods:
            parts.append(self._periods(periods, environments=environments, models=models))
        return parts


def trend_bucket(bucket: str):
    """The trend bucket (week or month start) of a rollup row, as a function of the part's queryset: a daily row's
    day truncated, a period row's start truncated (a week or month row's is its own)."""
    trunc = TruncWeek if bucket == "week" else TruncMonth

    def of(qs: QuerySet):
        return trunc("start" if qs.model is DeploymentPeriodRollup else "day", output_field=DateField())

    return of


# --- reading the rows ----------------------------------------------------------------------------------------


TOTALS = ("all", "production", "agreed")  # the kinds of sums: of every row, of production rows, of agreed models' rows


def _sums(kinds) -> dict:
    sums = {}
    if "all" in kinds:
        sums.update({f"_{name}": Sum(name) for name in SUMMED})  # an aggregate may not take a field's name
    if "production" in kinds:
        prod = production_q()
        sums.update(
            _prod_finished=Sum("finished", filter=prod),
            _prod_completed=Sum("completed", filter=prod),
            _prod_change_failures=Sum("change_failures", filter=prod),
            _prod_restore_failures=Sum("restore_failures", filter=prod),
            _prod_restore_n=Sum("restore_n", filter=prod),
        )
    if "agreed" in kinds:
        sums["_agreed"] = Sum("planned", filter=agreed_q())
    return sums


def rollup_totals(parts: list[QuerySet], group=None, kinds=TOTALS) -> dict:
    """The counts and sums of `kinds` over the rows of `parts` (absent figures are 0), one query a part; with
    `group` (a function of a part's queryset to an expression), {group value: totals}."""
    sums = _sums(kinds)
    grouped: dict = {}
    for qs in parts:
        if group is None:
            results = [(None, qs.aggregate(**sums))]
        else:
            rows = qs.annotate(_g=group(qs)).values("_g").annotate(**sums)
            results = [(r.pop("_g"), r) for r in rows]
        for g, result in results:
            totals = grouped.setdefault(g, {})
            for key, value in result.items():
                totals[key[1:]] = totals.get(key[1:], 0) + (value or 0)
    if group is None:
        return grouped.get(None) or {key[1:]: 0 for key in sums}
    return grouped


def scope_totals(scope: RollupScope, group=None) -> dict:
    """Every count and sum of the KPIs over a scope's rows (as rollup_totals), each read from the fewest rows that
    tell it: the plain sums from the rows over every environment and model the filters allow, the production sums
    from the rows per environment, the agreed models' from the rows per model — three reads of a few rows each
    instead of one of the rows per environment and model; so are the rows per service or supplier of a cut. The daily
    rows (a cut by a supplier and a service) are read once."""
    if scope.daily_only and not scope.by_cut:
        return rollup_totals(scope.parts(), group)
    reads = [
        rollup_totals(scope.parts(environments=False, models=False), group, ("all",)),
        rollup_totals(scope.parts(models=False), group, ("production",)),
        rollup_totals(scope.parts(environments=False), group, ("agreed",)),
    ]
    if group is None:
        return {key: value for read in reads for key, value in read.items()}
    merged: dict = {}
    for read in reads:
        for g, totals in read.items():
            merged.setdefault(g, rollup_totals([])).update(totals)
    return merged


def _fraction(p: float) -> tuple[int, int]:
    f = Fraction(p).limit_denominator(10_000)
    return f.numerator, f.denominator


def sketch_quantiles_of(parts: list[QuerySet], field: str, fractions=(0.5,), group=None) -> dict:
    """{group: (n, {fraction: seconds})} of the rows' `field` sketches added up, read like sketch_quantiles (the mean
    of the bucket at each rank, interpolated between the two ranks around it like percentile_cont) — computed by the
    database: the buckets of every part are added up per group, numbered by a running count, and only the one or two
    buckets each fraction's ranks fall into come back, however many rows and buckets there are. Without `group`, all
    rows are one group (None)."""
    if field not in ("lead_sketch", "restore_sketch", "release_sketch"):
        raise ValueError(field)
    if connection.vendor == "postgresql":
        each, key = f"jsonb_each(r.{field}) AS e", "e.key::integer"
        n, total = "(e.value->>0)::bigint", "(e.value->>1)::bigint"
    else:
        each, key = f"json_each(r.{field}) AS e", "CAST(e.key AS INTEGER)"
        n, total = "json_extract(e.value, '$[0]')", "json_extract(e.value, '$[1]')"
    selects, params = [], []
    for qs in parts:
        rows = qs.annotate(_g=group(qs) if group is not None else Value(None, output_field=DateField()))
        sql, p = rows.values("_g", field).query.sql_with_params()
        selects.append(f"SELECT r._g AS g, {key} AS k, {n} AS n, {total} AS t FROM ({sql}) AS r, {each}")  # noqa: S608
        params.extend(p)
    if not selects:
        return {}
    wanted = []
    for p in fractions:
        num, den = _fraction(p)
        lo, hi = f"((c.total - 1) * {num}) / {den}", f"((c.total - 1) * {num} + {den - 1}) / {den}"
        wanted.append(f"(c.cum > {lo} AND c.cum - c.n <= {hi})")
    query = (
        f"WITH x AS ({' UNION ALL '.join(selects)}), "  # noqa: S608
        "b AS (SELECT g, k, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(t) AS BIGINT) AS t FROM x GROUP BY g, k), "
        "c AS (SELECT g, k, n, t, CAST(SUM(n) OVER (PARTITION BY g ORDER BY k) AS BIGINT) AS cum, "
        "CAST(SUM(n) OVER (PARTITION BY g) AS BIGINT) AS total FROM b WHERE n > 0) "
        f"SELECT c.g, c.n, c.t, c.cum, c.total FROM c WHERE {' OR '.join(wanted)}"
    )
    buckets: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for g, count, seconds, cum, all_n in cursor.fetchall():
            buckets.setdefault(g, (int(all_n), []))[1].append(
                (int(cum) - int(count), int(cum), int(seconds) / int(count))
            )
    result = {}
    for g, (all_n, found) in buckets.items():

        def at_rank(rank: int, found=found) -> float:
            return next(mean for first, end, mean in found if first <= rank < end)

        values = {}
        for p in fractions:
            pos = (all_n - 1) * p
            lo, hi = math.floor(pos), math.ceil(pos)
            values[p] = at_rank(lo) + (at_rank(hi) - at_rank(lo)) * (pos - lo)
        result[g] = (all_n, values)
    return result


def lead_time_quantiles(parts: list[QuerySet], fractions=(0.5, 0.9)) -> dict:
    """{fraction: seconds} of the lead times of the completed deployments in `parts` (within the sketch's error)."""
    rows = [qs.filter(lead_n__gt=0) for qs in parts]
    return sketch_quantiles_of(rows, "lead_sketch", fractions).get(None, (0, {}))[1]


def release_median(parts: list[QuerySet]) -> float | None:
    """The median time, in seconds, from the end of the completed deployments in `parts` to their release."""
    rows = [qs.filter(release_n__gt=0) for qs in parts]
    return sketch_quantiles_of(rows, "release_sketch").get(None, (0, {}))[1].get(0.5)


def restore_median(parts: list[QuerySet]) -> float | None:
    """The median time to restore, in seconds, of the production failures restored in `parts` (rows per
    environment)."""
    rows = [qs.filter(production_q(), restore_n__gt=0) for qs in parts]
    return sketch_quantiles_of(rows, "restore_sketch").get(None, (0, {}))[1].get(0.5)
